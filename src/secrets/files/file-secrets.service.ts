import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { Inject, Injectable, Logger, StreamableFile } from '@nestjs/common';
import { create as contentDisposition } from 'content-disposition';
import type { FastifyRequest } from 'fastify';
import { createHash, Hash, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { AuthContext } from '../../auth/auth-context';
import { BillingService } from '../../billing/billing.service';
import type { PlanName } from '../../billing/plans';
import { Semaphore } from '../../common/concurrency/semaphore';
import { isDatabaseUnavailable } from '../../common/database/database-unavailable';
import { assertDiskRoom } from '../../common/database/disk-space';
import { unacknowledgedBytes } from '../../common/http/unacknowledged-bytes';
import { ApiError, FieldErrors } from '../../common/errors/api-error';
import { aboutRequest } from '../../common/logging/logger';
import { createValidationPipe } from '../../common/validation/validation.pipe';
import { notAllowed, shownName } from '../../common/validation/messages';
import { FileFormatError, metadataBytes, openFile, sealedSize, sealFile } from '../../crypto/file-stream';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Keyring } from '../../crypto/keyring';
import type { ClientInfo } from '../../geo/client.decorator';
import { CreateFileSecretDto } from '../dto/create-file-secret.dto';
import type { SpentView } from '../secret.repository';
import type { Secret } from '../secret.entity';
import { Created, SecretFields, SecretMaterial, SecretsService } from '../secrets.service';
import { DECRYPTION_FAILED } from '../secret-content';
import { DownloadEnds } from './download-ends';
import { DownloadSlot, DownloadSlots } from './download-slots';
import { downloadStream } from './download-stream';
import { FileStore } from './file-store';
import { digested, fileContentType, fileName, formFields, formParts, metered, olf1Only } from './file-upload';
import { idempotencyKey, KeyHeader } from '../idempotency/idempotency-key';
import { fileCreate, IdempotentCreates, keyReused } from '../idempotency/idempotent-creates';
import { sealFileInfo } from './file-info';
import { assertFileFits, storedFileLimit } from './file-size-rule';

/** What the form around the file may add to a request's size: its fields and part headers. */
const FORM_BYTES = 64 * 1024;
/** Uploads one instance receives at once, and of those one team; more get 503, so slow uploads cannot pile up without bound. */
const MAX_UPLOADS = 16;
const MAX_UPLOADS_PER_TEAM = 4;
/** An upload or a download may take this long at most; one that stalls meets BODY_IDLE_TIMEOUT_MS first. */
const TRANSFER_MAX_MS = 30 * 60_000;
/** A file's first part could not be read, even after retrying (FileStore.read), once its view was spent. */
const FILE_UNREADABLE = () =>
  new ApiError(
    500,
    'The file could not be read just now, and this view of it was spent. Open the link again to see whether it still works.',
  );

/** What an upload is checked against: its plan, what the team's files held when it began, and the team's uploads running here. */
interface StorageRoom {
  plan: PlanName;
  team: string;
  held: number;
  running: Set<UploadProgress>;
  mine: UploadProgress;
}

/** What one running upload has stored so far, in bytes. */
interface UploadProgress {
  stored: number;
}

/**
 * File secrets: uploads streamed from the multipart parser through OLF1 (server mode) into the
 * file store, and downloads streamed back, each chunk checked before it leaves. Nothing holds a
 * whole file, a transaction or a connection across a stream.
 */
@Injectable()
export class FileSecretsService {
  private readonly logger = new Logger(FileSecretsService.name);
  private readonly uploads = new Semaphore(MAX_UPLOADS, 0);
  /** Downloads running on this instance (MAX_DOWNLOADS), and of those one client's and one team's. */
  private readonly downloads: DownloadSlots;
  /** The secret of each download under way, for the line SHUTDOWN_TIMEOUT_MS ends with (main.ts). */
  private readonly downloading = new Set<{ secretId: string }>();
  /** Each team's uploads running on this instance, with the bytes each has stored so far. */
  private readonly uploadsByTeam = new Map<string, Set<UploadProgress>>();
  /** Each team's last upload to finish (its storage check and insert), for the next to wait on. */
  private readonly finishing = new Map<string, Promise<void>>();
  private readonly validation = createValidationPipe();

  constructor(
    private readonly billing: BillingService,
    private readonly secrets: SecretsService,
    private readonly downloadEnds: DownloadEnds,
    private readonly files: FileStore,
    private readonly keyring: Keyring,
    private readonly idempotency: IdempotentCreates,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.downloads = new DownloadSlots(config.maxDownloads);
  }

  async create(auth: AuthContext, request: FastifyRequest, client: ClientInfo, keyHeader?: KeyHeader): Promise<Created> {
    const key = idempotencyKey(auth, keyHeader);
    // A retry of a keyed create made before is answered as that create was, whatever the plan allows now.
    const earlier = key !== undefined && auth.kind === 'token' ? await this.idempotency.made(auth, key) : null;
    const plan = this.billing.planOf(auth);
    const declared = Number(request.headers['content-length']);
    if (!earlier) {
      this.billing.assertAllowed(plan, 'files');
      // A declared size that cannot fit is refused before a byte of the body is read.
      if (declared > storedFileLimit(this.billing, plan) + FORM_BYTES) this.billing.assertFileSize(plan, declared);
      if (declared > 0) await assertDiskRoom(declared);
    }
    // A retry reads its body as the first create did, so it takes one of its team's places too.
    const team = auth.kind === 'token' ? auth.teamId : client.ip;
    const running = this.uploadsByTeam.get(team) ?? new Set();
    if (running.size >= MAX_UPLOADS_PER_TEAM) {
      throw ApiError.unavailable('Too many uploads in progress for this team; try again shortly.', { code: 'server_busy' });
    }
    // The slot is taken before anything is awaited, so a burst of uploads cannot all pass the count.
    const room: StorageRoom = { plan, team, held: 0, running, mine: { stored: 0 } };
    running.add(room.mine);
    this.uploadsByTeam.set(team, running);
    try {
      if (earlier && key !== undefined)
        return await this.uploads.run(() => this.withDeadline(request, () => this.replay(request, key, earlier)));
      return await this.withDeadline(request, async () => {
        if (auth.kind === 'token') room.held = (await this.secrets.fileRoom(auth.teamId)).held;
        // Also refuses any file, even an empty one, once the team holds more than its plan allows.
        this.assertRoom(room, declared > FORM_BYTES ? declared - FORM_BYTES : 0);
        room.mine.stored = 0;
        return this.uploads.run(() => this.receive(auth, request, client, room, key));
      });
    } finally {
      running.delete(room.mine);
      if (running.size === 0) this.uploadsByTeam.delete(team);
    }
  }

  /** Runs `task`, cutting the request's connection if it takes longer than a transfer may. */
  private async withDeadline<T>(request: FastifyRequest, task: () => Promise<T>): Promise<T> {
    const socket = request.raw.socket;
    const deadline = setTimeout(() => socket.destroy(), TRANSFER_MAX_MS);
    try {
      return await task();
    } finally {
      clearTimeout(deadline);
    }
  }

  /**
   * A retry of the keyed create that made `earlier`: the form read as `receive` reads it, the
   * file's bytes digested and kept nowhere (no more of them than the first create's file had),
   * then answered as that create was.
   */
  private async replay(request: FastifyRequest, key: string, earlier: Secret): Promise<Created> {
    const values: MultipartValue[] = [];
    const digest = createHash('sha256');
    const size = earlier.fileSize ?? 0;
    let file: { name?: string; type: string } | null = null;
    for await (const part of formParts(request, { limits: { fileSize: size + 1 } })) {
      if (file) throw ApiError.field(part.fieldname, 'Nothing may follow the file part.');
      if (part.type === 'field') {
        values.push(part);
        continue;
      }
      if (part.fieldname !== 'file') throw ApiError.field(shownName(part.fieldname), notAllowed(part.fieldname));
      const bytes = metered(digested(part.file, digest), (total) => {
        if (total > size) throw keyReused();
      });
      for await (const _ of bytes);
      file = { name: part.filename, type: part.mimetype };
    }
    if (!file) throw await this.missingFile(values);
    const dto = await this.fields(values);
    return this.secrets.replay(earlier, fileCreate(key, dto, { ...file, sha256: digest.digest('hex') }));
  }

  /** Runs `task` once the team's previous one has settled, so a storage check and its insert are never interleaved with another's. */
  private inTurn<T>(team: string, task: () => Promise<T>): Promise<T> {
    const run = (this.finishing.get(team) ?? Promise.resolve()).then(task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.finishing.set(team, settled);
    void settled.then(() => {
      if (this.finishing.get(team) === settled) this.finishing.delete(team);
    });
    return run;
  }

  /**
   * 413 when the upload, at `stored` bytes, would take the team past its plan's storage: what its
   * files held when the upload began, plus what its other uploads here have stored since.
   */
  private assertRoom(room: StorageRoom, stored: number): void {
    let others = 0;
    for (const upload of room.running) if (upload !== room.mine) others += upload.stored;
    room.mine.stored = stored;
    this.billing.assertFileStorage(room.plan, room.held + others, stored);
  }

  /**
   * Fields first, then the one `file` part; the secret is written once every byte is stored. With
   * an Idempotency-Key the part's bytes are digested as they pass; a retry's copy is removed.
   */
  private async receive(
    auth: AuthContext,
    request: FastifyRequest,
    client: ClientInfo,
    room: StorageRoom,
    key: string | undefined,
  ): Promise<Created> {
    const { plan } = room;
    const values: MultipartValue[] = [];
    const digest = key === undefined ? null : createHash('sha256');
    let upload: { id: string; dto: CreateFileSecretDto; checked: SecretFields; part: MultipartFile; material?: SecretMaterial } | null =
      null;
    try {
      for await (const part of formParts(request, { limits: { fileSize: storedFileLimit(this.billing, plan) + 1 } })) {
        if (upload) throw ApiError.field(part.fieldname, 'Nothing may follow the file part.');
        if (part.type === 'field') {
          values.push(part);
          continue;
        }
        if (part.fieldname !== 'file') throw ApiError.field(shownName(part.fieldname), notAllowed(part.fieldname));
        const dto = await this.fields(values);
        upload = { id: randomUUID(), dto, checked: await this.secrets.checkFields(auth, dto), part };
        upload.material = await this.store(auth, upload.id, dto, part, room, digest);
      }
      if (!upload?.material) throw await this.missingFile(values);
      const { dto, checked, id, material } = upload;
      const file = { name: upload.part.filename, type: upload.part.mimetype, sha256: digest?.digest('hex') };
      const keyed = key === undefined ? undefined : fileCreate(key, dto, file);
      // Files that finished meanwhile count now too, on the plan as it is now; one team's uploads finish one at a time here.
      const created = await this.inTurn(room.team, async () => {
        if (auth.kind === 'token') {
          const now = await this.secrets.fileRoom(auth.teamId);
          // The team was deleted after the last part was stored (a later part would have found it gone).
          if (now.plan === null) throw ApiError.unauthenticated(true);
          ({ plan: room.plan, held: room.held } = now);
        }
        this.billing.assertAllowed(room.plan, 'files');
        assertFileFits(this.billing, room.plan, material.file!.encryption, material.file!.size);
        this.assertRoom(room, material.contentBytes);
        return this.secrets.insert(auth, checked, client, id, material, keyed);
      });
      if (created.replayed) await this.files.remove(id);
      return created;
    } catch (error) {
      // Whatever of the file was stored goes with the failed request.
      if (upload) await this.files.remove(upload.id);
      throw error;
    }
  }

  /** The plan's size and storage rules are checked on the bytes as they arrive (storage on what they will take once sealed). */
  private async store(
    auth: AuthContext,
    id: string,
    dto: CreateFileSecretDto,
    part: MultipartFile,
    room: StorageRoom,
    digest: Hash | null,
  ): Promise<SecretMaterial> {
    const { plan } = room;
    const teamId = auth.kind === 'token' ? auth.teamId : null;
    const source = digest ? digested(part.file, digest) : part.file;
    const material = { kind: 'file' as const, ciphertext: null, iv: null };
    if (dto.encryption === 'client') {
      const bytes = metered(source, (total) => {
        assertFileFits(this.billing, plan, 'client', total);
        this.assertRoom(room, total);
      });
      const stored = await this.files.write(id, teamId, olf1Only(bytes));
      return {
        ...material,
        keyId: null,
        contentBytes: stored,
        file: { sealedInfo: null, size: stored, encryption: 'client' },
      };
    }
    const metadata = { name: fileName(part), type: fileContentType(part) };
    const sealedMetadata = metadataBytes(metadata);
    let size = 0;
    const content = metered(source, (total) => {
      assertFileFits(this.billing, plan, 'server', total);
      this.assertRoom(room, sealedSize(total, sealedMetadata));
      size = total;
    });
    const { keyId, key } = this.keyring.activeFileKey();
    const stored = await this.files.write(id, teamId, sealFile(key, Buffer.from(id), metadata, content));
    const sealedInfo = sealFileInfo(this.keyring, id, metadata);
    return { ...material, keyId, contentBytes: stored, file: { sealedInfo, size, encryption: 'server' } };
  }

  /**
   * A spent view of a file secret, as a streamed download. Server mode authenticates the first
   * chunk before answering (a damaged start is a clean 500) and every later one before its bytes
   * are sent (a damaged chunk cuts the connection, never passes unauthenticated plaintext). Every
   * download says when it ends, however it ends; the last to end of a secret no longer active
   * removes the bytes, so a slow earlier view is not cut short by the last view's quicker one.
   * It gives back its download slot (`takeDownloadSlot`) as it ends.
   */
  async download(spent: SpentView, downloadSlot: DownloadSlot, client: Pick<ClientInfo, 'socket' | 'requestId'>): Promise<StreamableFile> {
    this.downloads.serves(downloadSlot, spent.team_id);
    const under = { secretId: spent.id };
    this.downloading.add(under);
    const downloadId = randomUUID();
    const release = () => {
      this.downloading.delete(under);
      downloadSlot.release();
      this.downloadEnds.record(spent.id, downloadId);
    };
    let stream: Readable;
    let headers: { type: string; disposition: string; length: number };
    if (spent.file_encryption === 'client') {
      stream = this.downloadStream(this.files.read(spent.id), spent.file_size!, client.socket);
      headers = { type: 'application/octet-stream', disposition: contentDisposition('oncelink-file.olf1'), length: spent.file_size! };
    } else {
      try {
        const opened = await openFile(this.keyring.fileKey(spent.key_id!)!, Buffer.from(spent.id), this.files.read(spent.id));
        stream = this.downloadStream(opened.content, spent.file_size!, client.socket);
        // Named and typed from inside the file, sealed there as on the row, whichever way the row keeps them.
        headers = {
          type: opened.metadata.type ?? 'application/octet-stream',
          disposition: contentDisposition(opened.metadata.name ?? 'file'),
          length: spent.file_size!,
        };
      } catch (error) {
        release();
        if (isDatabaseUnavailable(error)) {
          // Its view is spent: the 503 that says nothing was would have its client find the link gone.
          this.logger.error(
            aboutRequest(
              client.requestId,
              `File secret ${spent.id} could not be read after its view was spent: ${(error as Error).message}`,
            ),
          );
          throw FILE_UNREADABLE();
        }
        if (!(error instanceof FileFormatError)) throw error;
        this.logger.error(aboutRequest(client.requestId, `File secret ${spent.id} failed decryption: ${error.message}`));
        throw DECRYPTION_FAILED();
      }
    }
    stream.once('close', release);
    stream.on('error', (error: Error) =>
      this.logger.error(aboutRequest(client.requestId, `Download of file secret ${spent.id} stopped: ${error.message}`)),
    );
    return new StreamableFile(stream, headers);
  }

  /** One of this instance's download slots, for a reveal from `client` to take before it spends a view; null when all are taken. */
  takeDownloadSlot(client: Pick<ClientInfo, 'ip'>): DownloadSlot | null {
    return this.downloads.take(client.ip);
  }

  /**
   * A download slot for a reveal of a file of `team` (null: anonymous) looked at before its view
   * is spent: `slot` if it found one, else one given back within a moment; a 503 when none comes,
   * or while its client or the team holds its share of them (DownloadSlots).
   */
  async downloadSlotFor(slot: DownloadSlot | null, team: string | null, client: Pick<ClientInfo, 'ip'>): Promise<DownloadSlot> {
    const held = slot ?? (await this.downloads.wait(client.ip));
    try {
      await this.downloads.claim(held, team);
    } catch (error) {
      if (!slot) held.release();
      throw error;
    }
    return held;
  }

  /** The secret ids of the downloads under way on this instance (one per download). */
  downloadsUnderWay(): string[] {
    return [...this.downloading].map((download) => download.secretId);
  }

  private downloadStream(chunks: AsyncIterable<Buffer>, length: number, socket: Socket): Readable {
    const { bodyIdleTimeoutMs, downloadMinBytesPerSecond } = this.config;
    return downloadStream(chunks, length, bodyIdleTimeoutMs, TRANSFER_MAX_MS, downloadMinBytesPerSecond, () => unacknowledgedBytes(socket));
  }

  private async fields(values: MultipartValue[]): Promise<CreateFileSecretDto> {
    return (await this.validation.transform(formFields(values), { type: 'body', metatype: CreateFileSecretDto })) as CreateFileSecretDto;
  }

  private async missingFile(values: MultipartValue[]): Promise<ApiError> {
    const errors: FieldErrors = {};
    try {
      await this.fields(values);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      Object.assign(errors, error.extra.errors);
    }
    return ApiError.validation({ ...errors, file: ['The file field is required.'] });
  }
}
