/** Polls `check` every `intervalMs` until it holds (true) or `seconds` pass (false). */
export async function eventually(check: () => boolean | Promise<boolean>, seconds: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}
