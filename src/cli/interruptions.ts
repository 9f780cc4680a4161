import { constants as osConstants } from 'node:os';

const INTERRUPTIONS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Until the function it returns is called, an interruption (Ctrl-C, a CI job cancelled, a closed
 * terminal) runs `cleanUp`, which must be synchronous, then exits as the signal would have (130,
 * 143, 129).
 */
export function onInterruption(cleanUp: () => void): () => void {
  const interrupted = (signal: NodeJS.Signals) => {
    cleanUp();
    process.exit(128 + osConstants.signals[signal]);
  };
  for (const signal of INTERRUPTIONS) process.once(signal, interrupted);
  return () => {
    for (const signal of INTERRUPTIONS) process.off(signal, interrupted);
  };
}
