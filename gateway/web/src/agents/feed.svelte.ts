/**
 * The agent's live feed: every item that concerns them as it is written, over
 * Server-Sent Events. `fetch` rather than `EventSource`, because the token travels in
 * `Authorization` (never in the URL, which proxies log). A lost connection is resumed
 * with `Last-Event-ID` (the gateway replays what was missed), so no item is lost; the
 * unread counts of the tabs are read once, then kept up to date from the stream.
 * A new item rings a short tone and flashes the tab, unless the agent turned the cue off.
 */

import { agentSession, staff, type Schemas } from './api';

export type FeedItem = Schemas['FeedItem'];
type Listener = (item: FeedItem) => void;

const CUE_KEY = 'guichet.agent.cue';
/** Items kept in memory for the pages (the newest first). */
const KEEP = 300;

function storedCue(): boolean {
  try {
    return localStorage.getItem(CUE_KEY) !== 'off';
  } catch {
    return true;
  }
}

/** One SSE event of the stream, as read from its lines. */
interface Event {
  id: string | null;
  event: string;
  data: string;
}

/** Splits what arrived so far into whole events; returns the events and the rest. */
export function parseEvents(buffer: string): { events: Event[]; rest: string } {
  const events: Event[] = [];
  const blocks = buffer.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let id: string | null = null;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // a comment: the heartbeat
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0 || id !== null) events.push({ id, event, data: data.join('\n') });
  }
  return { events, rest };
}

class Feed {
  /** The newest items received live since the page opened, newest first. */
  items: FeedItem[] = $state([]);
  /** Unread items per tab code (a theme or a department), and in all. */
  unread: Record<string, number> = $state({});
  total = $state(0);
  /** `live` while the stream is open; `reconnecting` after a loss. */
  status: 'idle' | 'live' | 'reconnecting' = $state('idle');
  cue = $state(storedCue());
  /** Tab codes that just received an item (flashed for a moment). */
  flashing: string[] = $state([]);
  /** The last item announced, for the screen readers' live region. */
  announced = $state('');

  #after = 0;
  #abort: AbortController | null = null;
  #listeners = new Set<Listener>();
  #audio: AudioContext | null = null;

  /** Opens the stream (once per sign-in). */
  start(): void {
    if (this.#abort) return;
    const abort = new AbortController();
    this.#abort = abort;
    void this.#run(abort.signal);
  }

  stop(): void {
    this.#abort?.abort();
    this.#abort = null;
    this.items = [];
    this.unread = {};
    this.total = 0;
    this.status = 'idle';
    this.#after = 0;
  }

  /** Called for each new item; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setCue(on: boolean): void {
    this.cue = on;
    try {
      localStorage.setItem(CUE_KEY, on ? 'on' : 'off');
    } catch {
      // Storage refused: the choice holds for this page.
    }
  }

  /** Re-reads the unread counts (after marking items read). */
  async refreshCounts(): Promise<void> {
    const { data } = await staff.GET('/api/v1/agent/feed/unread');
    if (!data) return;
    const counts: Record<string, number> = {};
    for (const tab of data.tabs) counts[tab.tab] = tab.unread;
    this.unread = counts;
    this.total = data.total;
  }

  /** Marks the items of one demand read (the agent opened it). */
  async markDemandRead(trackingNumber: string): Promise<void> {
    const { data } = await staff.GET('/api/v1/agent/feed', { params: { query: { unread: true, limit: 500 } } });
    const ids = (data?.items ?? []).filter((i) => i.tracking_number === trackingNumber).map((i) => i.id);
    if (ids.length === 0) return;
    await staff.POST('/api/v1/agent/feed/read', { body: { ids, all: false, tab: '', up_to_seq: 0 } });
    this.items = this.items.map((i) => (i.tracking_number === trackingNumber ? { ...i, read: true } : i));
    await this.refreshCounts();
  }

  async #run(signal: AbortSignal): Promise<void> {
    // Resume after the newest item already written: what the pages list, they read themselves.
    const { data } = await staff.GET('/api/v1/agent/feed', { params: { query: { limit: 1 } } }).catch(() => ({ data: undefined }));
    this.#after = data?.items[0]?.seq ?? 0;
    await this.refreshCounts().catch(() => undefined);
    let wait = 1000;
    while (!signal.aborted) {
      try {
        await this.#listen(signal);
        wait = 1000;
      } catch {
        // Lost, refused or ended: try again, a little later each time (15 s at most).
      }
      if (signal.aborted) break;
      this.status = 'reconnecting';
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 15_000);
      await this.refreshCounts().catch(() => undefined);
    }
  }

  async #listen(signal: AbortSignal): Promise<void> {
    const token = await agentSession.token();
    if (!token) throw new Error('signed out');
    const response = await fetch('/api/v1/agent/feed/stream', {
      headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream', 'Last-Event-ID': String(this.#after) },
      signal,
      cache: 'no-store',
    });
    if (response.status === 401) agentSession.forget();
    if (!response.ok || !response.body) throw new Error(`stream: ${response.status}`);
    this.status = 'live';
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const { events, rest } = parseEvents(buffer);
      buffer = rest;
      for (const event of events) this.#receive(event);
    }
  }

  #receive(event: Event): void {
    if (event.event !== 'feed_item' || !event.data) return;
    const item = JSON.parse(event.data) as FeedItem;
    if (item.seq <= this.#after) return;
    this.#after = item.seq;
    this.items = [item, ...this.items].slice(0, KEEP);
    if (!item.read) {
      const counts = { ...this.unread };
      counts[item.theme] = (counts[item.theme] ?? 0) + 1;
      if (item.department !== item.theme) counts[item.department] = (counts[item.department] ?? 0) + 1;
      this.unread = counts;
      this.total += 1;
    }
    this.announced = `Nouveau : ${item.title} (${item.tracking_number})`;
    if (this.cue) this.#ring([item.theme, item.department]);
    for (const listener of this.#listeners) listener(item);
  }

  /** A short, quiet tone and a flash of the tabs concerned. */
  #ring(tabs: string[]): void {
    this.flashing = tabs;
    setTimeout(() => {
      this.flashing = [];
    }, 2500);
    try {
      this.#audio ??= new AudioContext();
      const ctx = this.#audio;
      const tone = ctx.createOscillator();
      const gain = ctx.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.05, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
      tone.connect(gain).connect(ctx.destination);
      tone.start();
      tone.stop(ctx.currentTime + 0.25);
    } catch {
      // No sound here (the browser has not been interacted with, or has no audio): the flash says it.
    }
  }
}

export const feed = new Feed();
