// The adapter's signing and verification (src/channels/antom/antom-signature.ts) against the
// vectors in test/vectors/antom/: a real Antom sandbox answer with Antom's sandbox key, our own
// deterministic vectors from the documentation's examples, and the documentation's header strings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { NotificationRejectedError } from '../../../src/channels/provider.js';
import type { AntomCredentials } from '../../../src/channels/antom/antom-account.js';
import { ACK, REJECT_ACK, verifyNotification } from '../../../src/channels/antom/antom-notifications.js';
import {
  decodeSignatureValue,
  keyFingerprint,
  parsePrivateKey,
  parsePublicKey,
  parseSignatureHeader,
  signatureHeaderOf,
  signContent,
  signingContent,
  verifyContent,
} from '../../../src/channels/antom/antom-signature.js';

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../vectors/antom/${name}`, import.meta.url), 'utf8')) as T;
}

interface OwnVector {
  name: string;
  kind: string;
  httpMethod: string;
  requestUri: string;
  clientId: string;
  time: string;
  body: string;
  contentToBeSigned: string;
  signatureBase64: string;
  signatureUrlEncoded: string;
  signatureHeader: string;
  acknowledgementBody?: string;
}

const own = load<{ privateKeyPem: string; publicKeyPem: string; vectors: OwnVector[] }>('own-signatures.json');
const sandbox = load<{
  antomPublicKeyBase64: string;
  vectors: Array<{ name: string; expect: 'valid' | 'invalid'; httpMethod: string; requestUri: string; clientId: string; responseTime: string; body: string; signature: string }>;
}>('sandbox-response.json');
const docExamples = load<{ examples: Array<{ name: string; header: string; algorithm: string; keyVersion: string; decodedBytes: number }> }>('doc-examples.json');

const ownPrivateKey = parsePrivateKey(own.privateKeyPem.replaceAll('TESTING KEY', 'PRIVATE KEY'));
const ownPublicKey = parsePublicKey(own.publicKeyPem);

describe('Antom signatures: our vectors from the documentation examples, signed by the adapter', () => {
  for (const v of own.vectors) {
    test(`${v.name}: the same content, the same signature byte for byte, the same header`, () => {
      const content = signingContent(v.httpMethod, v.requestUri, v.clientId, v.time, Buffer.from(v.body, 'utf8'));
      assert.equal(content.toString('utf8'), v.contentToBeSigned);
      const value = signContent(content, ownPrivateKey);
      assert.equal(value, v.signatureUrlEncoded);
      assert.equal(decodeURIComponent(value), v.signatureBase64);
      assert.equal(verifyContent(content, value, ownPublicKey), true);
      assert.equal(signatureHeaderOf('1', value), v.signatureHeader.replaceAll(', ', ','), 'the SDKs write the header without spaces');
      const parsed = parseSignatureHeader(v.signatureHeader);
      assert.deepEqual(parsed, { algorithm: 'RSA256', keyVersion: '1', signature: v.signatureUrlEncoded });
    });
  }

  test('the time is signed as its text and the body as its bytes: another rendering does not verify', () => {
    const compact = own.vectors.find((v) => v.name === 'doc-request-compact-body') as OwnVector;
    const pretty = own.vectors.find((v) => v.name === 'doc-request-pretty-body') as OwnVector;
    const body = Buffer.from(compact.body, 'utf8');
    assert.equal(verifyContent(signingContent('POST', compact.requestUri, compact.clientId, new Date(Number(compact.time)).toISOString(), body), compact.signatureUrlEncoded, ownPublicKey), false);
    assert.equal(verifyContent(signingContent('POST', pretty.requestUri, pretty.clientId, pretty.time, body), pretty.signatureUrlEncoded, ownPublicKey), false);
    assert.equal(verifyContent(signingContent('POST', '/ams/sandbox/api/v1/payments/pay', compact.clientId, compact.time, body), compact.signatureUrlEncoded, ownPublicKey), false, 'the path is signed');
  });

  test('decoding is Java URLDecoder\'s: lower-case escapes pass, a raw "+" becomes a space and fails', () => {
    const v = own.vectors.find((x) => x.signatureBase64.includes('+')) as OwnVector;
    const content = signingContent(v.httpMethod, v.requestUri, v.clientId, v.time, Buffer.from(v.body, 'utf8'));
    assert.equal(verifyContent(content, v.signatureUrlEncoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), ownPublicKey), true);
    assert.equal(verifyContent(content, v.signatureBase64, ownPublicKey), false);
    assert.equal(decodeSignatureValue('%zz'), null);
    assert.equal(decodeSignatureValue('abc'), null, 'not base64 of whole quanta');
    assert.equal(decodeSignatureValue(''), null);
  });

  test('the notification vector verifies through the notification check, at its own path and time', () => {
    const n = own.vectors.find((v) => v.kind === 'notification') as OwnVector;
    const credentials: AntomCredentials = {
      clientId: n.clientId, keyVersion: '1', privateKey: ownPrivateKey, antomPublicKey: ownPublicKey, baseUrl: 'http://127.0.0.1:1', sandbox: true,
    };
    const input = { headers: { 'client-id': n.clientId, 'request-time': n.time, signature: n.signatureHeader }, rawBody: Buffer.from(n.body, 'utf8') };
    const at = Date.parse(n.time);
    const body = verifyNotification(input, { credentials, notifyPath: n.requestUri, toleranceMs: 300_000, now: at });
    assert.equal(body.notifyType, 'PAYMENT_RESULT');
    assert.equal(ACK.body, n.acknowledgementBody);
    const rejected = (error: unknown) => error instanceof NotificationRejectedError && error.ack === REJECT_ACK;
    assert.throws(() => verifyNotification(input, { credentials, notifyPath: '/channels/antom/notify/other', toleranceMs: 300_000, now: at }), rejected);
    assert.throws(() => verifyNotification(input, { credentials, notifyPath: n.requestUri, toleranceMs: 300_000, now: at + 600_000 }), rejected, 'stale');
    assert.throws(() => verifyNotification({ ...input, rawBody: Buffer.from(`${n.body} `) }, { credentials, notifyPath: n.requestUri, toleranceMs: 300_000, now: at }), rejected);
    assert.throws(() => verifyNotification(input, { credentials: { ...credentials, keyVersion: '2' }, notifyPath: n.requestUri, toleranceMs: 300_000, now: at }), rejected, 'another key version');
  });
});

describe("Antom signatures: a real sandbox answer, verified with Antom's sandbox key", () => {
  const key = parsePublicKey(sandbox.antomPublicKeyBase64);

  test('the Dashboard base64 form of a public key parses to the same key as its PEM', () => {
    const pem = key.export({ type: 'spki', format: 'pem' }).toString();
    assert.equal(keyFingerprint(parsePublicKey(pem)), keyFingerprint(key));
    assert.match(keyFingerprint(key), /^sha256:[0-9a-f]{64}$/);
  });

  for (const v of sandbox.vectors) {
    test(`${v.name}: ${v.expect}`, () => {
      const content = signingContent(v.httpMethod, v.requestUri, v.clientId, v.responseTime, Buffer.from(v.body, 'utf8'));
      assert.equal(verifyContent(content, v.signature, key), v.expect === 'valid');
    });
  }
});

describe('Antom signatures: the header strings printed in the documentation', () => {
  for (const example of docExamples.examples) {
    test(`${example.name}: parsed, URL-decoded to an RSA-2048 signature`, () => {
      const header = parseSignatureHeader(example.header);
      assert.ok(header);
      assert.equal(header.algorithm, example.algorithm);
      assert.equal(header.keyVersion, example.keyVersion);
      assert.equal(decodeSignatureValue(header.signature)?.length, example.decodedBytes);
    });
  }

  test('malformed headers are refused, not guessed at', () => {
    assert.equal(parseSignatureHeader(undefined), null);
    assert.equal(parseSignatureHeader('algorithm=RSA256,keyVersion=1'), null);
    assert.equal(parseSignatureHeader('keyVersion=1,signature=abc'), null);
    assert.equal(parseSignatureHeader('algorithm=RSA256,signature=a,signature=b'), null);
    assert.equal(parseSignatureHeader('algorithm=RSA256,garbage,signature=a'), null);
    assert.deepEqual(parseSignatureHeader('signature=abc=, algorithm=RSA256'), { algorithm: 'RSA256', signature: 'abc=' });
  });

  test('a PKCS#8 private key in the base64 form of the Antom key tool parses, as does its PEM', () => {
    const der = ownPrivateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
    const wrapped = der.replace(/(.{64})/g, '$1\n');
    assert.equal(keyFingerprint(parsePrivateKey(wrapped)), keyFingerprint(ownPublicKey));
    assert.equal(keyFingerprint(parsePrivateKey(ownPrivateKey.export({ type: 'pkcs1', format: 'pem' }).toString())), keyFingerprint(ownPublicKey));
    assert.throws(() => parsePrivateKey('not a key'));
  });
});
