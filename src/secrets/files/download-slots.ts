import { Semaphore } from '../../common/concurrency/semaphore';
import { ApiError } from '../../common/errors/api-error';
import { addressKey } from '../../geo/address-key';

/**
 * How long a reveal of a file waits for a download slot when all are taken: a text's reveal holds
 * one for its one statement, so a busy instance's slots are often all taken for a moment.
 */
const DOWNLOAD_SLOT_WAIT_MS = 2_000;
/** Downloads one client or one team's files may hold at once: a quarter of the instance's, and never fewer than this. */
const MIN_DOWNLOADS_PER_CLIENT = 4;

/** One reveal's hold on a download slot, from before its view is spent until its download ends (or it turns out a text's). */
export interface DownloadSlot {
  /**
   * Whether the reveal's one statement may spend a file's view with this slot, unlooked at: only
   * while so few slots are held that no client or team can be at its share. Otherwise a file is
   * looked at first (`DownloadSlots.claim`), which is what a text's reveal never needs.
   */
  readonly spendsFile: boolean;
  /** Gives the slot back (once, however often called). */
  release(): void;
}

/** A held slot, with what is known of whose it is. */
class HeldSlot implements DownloadSlot {
  /** The team of the file it serves (null: an anonymous file); undefined until it is known to serve a file. */
  team?: string | null;
  /** Whether its reveal is in `DownloadSlots.claim`, whose own count is what decides. */
  claiming = false;
  private client?: string;
  private settle?: () => void;
  private settled?: Promise<void>;

  constructor(
    private readonly ip: string,
    readonly spendsFile: boolean,
    readonly release: () => void,
  ) {}

  /** The client as the rate limits count one (addressKey: IPv6 by its /64), worked out only when a share is checked. */
  clientKey(): string {
    return (this.client ??= addressKey(this.ip));
  }

  /** Whether a spend under way may be of any team's file: one not looked at, not yet said whose. */
  unsure(): boolean {
    return this.spendsFile && this.team === undefined && !this.claiming;
  }

  /** Settles once it is no longer `unsure` (made only when a claim waits on it). */
  whenKnown(): Promise<void> {
    return (this.settled ??= new Promise((resolve) => (this.settle = resolve)));
  }

  /** Wakes a claim waiting on it: it says whose file it serves, or is given back, or is claiming. */
  known(): void {
    this.settle?.();
    // A claim that failed leaves it unsure again until it is given back: a later wait needs a new promise.
    this.settle = this.settled = undefined;
  }
}

/**
 * The download slots of one instance (MAX_DOWNLOADS), so stalled downloads cannot pile up without
 * bound; and of those, at most a share for one client address and one for one team's files, so
 * one client reading slowly from many connections, or one team's file opened from many
 * addresses, cannot take them all and turn every other file's reveal away. A reveal takes its
 * slot before any view is spent, as only then is a file's view never spent on a download there is
 * no room for; a text's gives it back once spent.
 */
export class DownloadSlots {
  private readonly slots: Semaphore;
  private readonly held = new Set<HeldSlot>();
  /** How many reveals of each client (its addressKey) wait for a slot. */
  private readonly waiting = new Map<string, number>();
  /** Downloads one client, and one team's files, may hold at once. */
  readonly share: number;

  constructor(maxDownloads: number) {
    this.slots = new Semaphore(maxDownloads, maxDownloads);
    this.share = Math.max(MIN_DOWNLOADS_PER_CLIENT, Math.ceil(maxDownloads / 4));
  }

  /** A slot now, for a reveal from `ip`; null when all are taken. */
  take(ip: string): DownloadSlot | null {
    const slot = this.slots.tryTake();
    return slot && this.hold(ip, slot, this.held.size < this.share);
  }

  /**
   * A slot for a reveal of a file that found none free, once one is given back within
   * DOWNLOAD_SLOT_WAIT_MS; past that (downloads hold them all), a 503 before any view is spent.
   * A client whose file downloads and reveals already waiting make its share is refused at once,
   * with `claim`'s 503, rather than once it had a slot: so it neither waits behind others nor fills
   * the queue they wait in (MAX_DOWNLOADS long), and a slot given back goes to a reveal with room for it.
   */
  async wait(ip: string): Promise<DownloadSlot> {
    const client = addressKey(ip);
    const waiting = this.waiting.get(client) ?? 0;
    if (this.filesOf(client) + waiting >= this.share) throw busy(CLIENT_AT_SHARE);
    this.waiting.set(client, waiting + 1);
    const slot = await this.slots.take(DOWNLOAD_SLOT_WAIT_MS);
    const left = this.waiting.get(client)! - 1;
    if (left > 0) this.waiting.set(client, left);
    else this.waiting.delete(client);
    if (!slot) throw busy('Too many downloads in progress');
    return this.hold(ip, slot, false);
  }

  /**
   * Makes `slot` serve a file of `team` (null: anonymous), looked at before its view is spent:
   * a 503 `server_busy`, nothing spent, while its client or the team already holds its share.
   * A spend under way of a file not looked at may be a text's, or another team's file: while only
   * such spends would make a share, it waits for them to say what they are (their statement, or
   * their own look at the file) for up to DOWNLOAD_SLOT_WAIT_MS, then counts them as the share's.
   * The last count and the claim are made with nothing awaited between, so a burst cannot all
   * pass it.
   */
  async claim(slot: DownloadSlot, team: string | null): Promise<void> {
    const mine = slot as HeldSlot;
    const client = mine.clientKey();
    const giveUpAt = performance.now() + DOWNLOAD_SLOT_WAIT_MS;
    mine.claiming = true;
    mine.known();
    try {
      for (;;) {
        const held = { clients: 0, teams: 0 };
        const maybe = { clients: 0, teams: 0 };
        const unsure: HeldSlot[] = [];
        for (const other of this.counted(mine)) {
          const count = other.unsure() ? maybe : held;
          const itsClient = other.clientKey() === client;
          const itsTeam = team !== null && (other.team === team || count === maybe);
          if (itsClient) count.clients++;
          if (itsTeam) count.teams++;
          if (count === maybe && (itsClient || itsTeam)) unsure.push(other);
        }
        const clientFull = held.clients + maybe.clients >= this.share;
        const teamFull = held.teams + maybe.teams >= this.share;
        if (!clientFull && !teamFull) {
          mine.team = team;
          return;
        }
        const left = giveUpAt - performance.now();
        if (held.clients >= this.share || (clientFull && left <= 0)) throw busy(CLIENT_AT_SHARE);
        if (held.teams >= this.share || left <= 0) throw busy(TEAM_AT_SHARE);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([...unsure.map((other) => other.whenKnown()), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
        clearTimeout(timer);
      }
    } finally {
      mine.claiming = false;
    }
  }

  /** The slot of a reveal that spent a file's view now serves that file, of `team` (null: anonymous). */
  serves(slot: DownloadSlot, team: string | null): void {
    (slot as HeldSlot).team = team;
    (slot as HeldSlot).known();
  }

  /** The file downloads of `client` (its addressKey) held now, and its reveals claiming one. */
  private filesOf(client: string): number {
    let files = 0;
    for (const other of this.held)
      if ((other.team !== undefined || other.spendsFile || other.claiming) && other.clientKey() === client) files++;
    return files;
  }

  /**
   * The held slots the shares count, but `mine`: not a text's, nor a file's not yet looked at, nor
   * one whose claim is under way (its own count decides); but a spend of an unlooked-at file, which
   * may be under way.
   */
  private *counted(mine?: HeldSlot): Generator<HeldSlot> {
    for (const other of this.held) {
      if (other !== mine && (other.team !== undefined || (other.spendsFile && !other.claiming))) yield other;
    }
  }

  private hold(ip: string, give: () => void, spendsFile: boolean): HeldSlot {
    const slot: HeldSlot = new HeldSlot(ip, spendsFile, () => {
      if (!this.held.delete(slot)) return;
      give();
      slot.known();
    });
    this.held.add(slot);
    return slot;
  }
}

const CLIENT_AT_SHARE = 'Too many downloads in progress from your address';
const TEAM_AT_SHARE = "Too many downloads of this team's files in progress";
const busy = (why: string) => ApiError.unavailable(`${why}; try again shortly. The view was not spent.`, { code: 'server_busy' });
