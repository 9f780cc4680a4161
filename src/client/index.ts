/** The SDK as the package exports it (`require('oncelink')`): the client, its error, and what they take and give. */
export { OncelinkClient } from './oncelink-client';
export type { FileOptions, Revealed, RevealedContent, SecretResponse, SendOptions, Sent, Spool } from './oncelink-client';
export { OncelinkError } from './oncelink-error';
export type { OncelinkErrorDetails } from './oncelink-error';
export { open, seal } from './link-crypto';
export type { Sealed } from './link-crypto';
export { openFile, sealFile } from '../crypto/file-stream';
export type { FileMetadata } from '../crypto/file-stream';
