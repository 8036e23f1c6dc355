/**
 * The longpoll scenario's client, run as its own process by bench/run.ts: holds `count`
 * `is_block=1` queries open at once on the gateway (one raw socket each, spread over a few
 * loopback source addresses), then, told to on stdin, pays their orders through the
 * sandbox at a fixed rate and records when each query's answer arrives.
 *
 * stdout, one JSON line each: `{"event":"held",…}` once every query has been sent, and
 * `{"event":"done",…}` with the figures and each answer's [order_id, received at (epoch ms),
 * status] when every query has been answered or the deadline has passed. The orders are
 * the settle orders that bench/seed-orders.ts writes (reference bs-i, order id
 * settleOrderId(i)), their payment started, so the sandbox can pay them.
 */
import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { settleOrderId } from './load.js';

export interface LongPollJob {
  host: string;
  port: number;
  merchant: { user_id: string; api_key: string };
  /** Settle orders first … first+count-1. */
  first: number;
  count: number;
  /** Payments per second once told to settle. */
  rate: number;
  /** Local addresses the sockets are spread over (127.0.0.1, 127.0.0.2, …). */
  sources: string[];
  /** Seconds to wait for the last answer once every payment has been made (HARD_LIMIT_SECONDS at most in all). */
  answerTimeoutSeconds: number;
}

export interface LongPollResult {
  event: 'done';
  sent: number;
  connectErrors: number;
  /** Connections that ended without an answer. */
  lost: number;
  /** Answered before any payment was made: not held (the per-user cap, an error). */
  answeredEarly: number;
  answered: number;
  /** Answers whose JSON code was not 0. */
  badAnswers: number;
  /** Payments the sandbox did not accept. */
  settleErrors: number;
  settleSeconds: number;
  /** The first few of each kind of error. */
  firstErrors: string[];
  answers: Array<[orderId: string, receivedAt: number, status: string]>;
}

const CONNECTING_AT_ONCE = 128;
const CONNECT_TRIES = 5;
/** Past the time the payments should take, the longest the scenario waits. */
export const HARD_LIMIT_SECONDS = 120;
const settleReference = (i: number) => `bs-${i}`; // as bench/seed-orders.ts names them

function run(job: LongPollJob): void {
  const { user_id: userId, api_key: apiKey } = job.merchant;
  const result: LongPollResult = {
    event: 'done', sent: 0, connectErrors: 0, lost: 0, answeredEarly: 0, answered: 0, badAnswers: 0, settleErrors: 0, settleSeconds: 0, firstErrors: [], answers: [],
  };
  const noted = new Map<string, number>();
  const noteError = (kind: string, what: string) => {
    const n = noted.get(kind) ?? 0;
    noted.set(kind, n + 1);
    if (n < 3) result.firstErrors.push(`${kind}: ${what}`);
  };
  let settling = false;
  let finished = false;
  let open = 0;
  const sockets = new Set<Socket>();

  const finish = () => {
    if (finished) return;
    finished = true;
    for (const socket of sockets) socket.destroy();
    process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
  };
  const maybeFinish = () => {
    if (settling && open === 0) finish();
  };

  /**
   * `connected` is called once: when the socket has connected or, after CONNECT_TRIES, has
   * failed to. A connection reset before anything was paid or answered (the listen backlog
   * overflowed while thousands connect at once) is made again.
   */
  const openQuery = (i: number, connected: () => void, tries = 1) => {
    const reference = settleReference(i);
    // Sorted form of spec §2.1, is_block included.
    const signature = createHmac('sha256', apiKey).update(`is_block=1&merchant_reference=${reference}&user_id=${userId}${apiKey}`).digest('hex');
    const socket = connect({ host: job.host, port: job.port, localAddress: job.sources[i % job.sources.length] });
    sockets.add(socket);
    open++;
    let data = '';
    let ended = false;
    let wasConnected = false;
    let toldConnected = false;
    const tellConnected = () => {
      if (toldConnected) return;
      toldConnected = true;
      connected();
    };
    const end = (answered: boolean, error?: Error) => {
      if (ended) return;
      ended = true;
      open--;
      sockets.delete(socket);
      socket.destroy();
      if (!answered && !finished) {
        if (!settling && data === '' && tries < CONNECT_TRIES) {
          if (wasConnected) result.sent--;
          setTimeout(() => openQuery(i, () => tellConnected(), tries + 1), 100 * tries);
          return;
        }
        if (wasConnected) result.lost++;
        else result.connectErrors++;
        noteError(wasConnected ? 'lost' : 'connect', `${reference}: ${error?.message ?? 'closed without an answer'}`);
        tellConnected();
      }
      maybeFinish();
    };
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      socket.write(`GET /v2/transaction/${reference}?user_id=${userId}&is_block=1&signature=${signature} HTTP/1.1\r\nHost: ${job.host}:${job.port}\r\nConnection: close\r\n\r\n`);
      result.sent++;
      wasConnected = true;
      tellConnected();
    });
    socket.on('data', (chunk: string) => {
      data += chunk;
      const headerEnd = data.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(data.slice(0, headerEnd))?.[1] ?? NaN);
      if (!(data.length - headerEnd - 4 >= length)) return;
      const receivedAt = Date.now();
      const body = data.slice(headerEnd + 4, headerEnd + 4 + length);
      let answer: { code?: number; order_id?: string; status?: string } = {};
      try {
        answer = JSON.parse(body) as typeof answer;
      } catch {
        // counted below
      }
      if (answer.code !== 0) {
        result.badAnswers++;
        noteError('bad answer', `${reference}: ${data.slice(0, 300)}`);
      }
      if (!settling) result.answeredEarly++;
      result.answered++;
      result.answers.push([answer.order_id ?? settleOrderId(i), receivedAt, answer.status ?? '?']);
      end(true);
    });
    socket.on('error', (error) => end(false, error));
    socket.on('close', () => end(false));
  };

  // At most CONNECTING_AT_ONCE connections being made at a time (the listen backlog).
  let next = job.first;
  const last = job.first + job.count;
  let connecting = 0;
  const connectMore = () => {
    while (connecting < CONNECTING_AT_ONCE && next < last) {
      connecting++;
      openQuery(next++, () => {
        connecting--;
        connectMore();
      });
    }
    if (next >= last && connecting === 0) {
      process.stdout.write(JSON.stringify({ event: 'held', sent: result.sent, connectErrors: result.connectErrors, answeredEarly: result.answeredEarly }) + '\n');
    }
  };
  connectMore();

  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'settle' && !settling) settle();
  });

  function settle(): void {
    settling = true;
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const began = Date.now();
    let paid = 0;
    let inFlight = 0;
    const pay = (i: number) => {
      inFlight++;
      const req = request(
        { host: job.host, port: job.port, method: 'POST', path: `/sandbox/orders/${settleOrderId(i)}`, agent, headers: { 'content-type': 'application/json' } },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (c: string) => (text += c));
          response.on('end', () => {
            inFlight--;
            if (response.statusCode !== 200 || !/"code":0[,}]/.test(text)) {
              result.settleErrors++;
              noteError('payment refused', `${settleOrderId(i)}: ${response.statusCode} ${text.slice(0, 200)}`);
            }
            if (paid === job.count && inFlight === 0) {
              result.settleSeconds = (Date.now() - began) / 1000;
              agent.destroy();
              // The deadline: answerTimeoutSeconds after the last payment was made.
              setTimeout(finish, job.answerTimeoutSeconds * 1000).unref();
            }
          });
        },
      );
      req.on('error', (error) => {
        inFlight--;
        result.settleErrors++;
        noteError('payment failed', `${settleOrderId(i)}: ${error.message}`);
      });
      req.end('{"outcome":"paid"}');
    };
    // Paid at `rate`: each 10 ms tick pays what is due by then.
    const timer = setInterval(() => {
      const due = Math.min(job.count, Math.floor(((Date.now() - began) / 1000) * job.rate) + 1);
      while (paid < due) pay(job.first + paid++);
      if (paid === job.count) clearInterval(timer);
    }, 10);
    // However slow the payments, the scenario ends.
    setTimeout(finish, (job.count / job.rate + HARD_LIMIT_SECONDS) * 1000).unref();
    maybeFinish();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  run(JSON.parse(process.argv[2] ?? '{}') as LongPollJob);
}
