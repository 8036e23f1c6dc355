// Checks the Antom signature vectors in this folder with node:crypto directly, so the JSON files are
// known-good data for anyone (the fake, the gateway's adapter) who wants to reuse them. Nothing here
// imports from src/ or from test/fakes/: every check is written out against the primitives.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as T;
}

/** content_to_be_signed / content_to_be_validated: `<METHOD> <URI>\n<client-id>.<time>.<body>`. */
function content(method: string, uri: string, clientId: string, time: string, body: string): Buffer {
  return Buffer.from(`${method} ${uri}\n${clientId}.${time}.${body}`, 'utf8');
}

/**
 * The signature value as Antom's Java side decodes it: application/x-www-form-urlencoded decoding
 * (java.net.URLDecoder: "+" becomes a space, %XX in either case), then strict base64.
 */
function decodeSignature(value: string): Buffer | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(decoded) || decoded.length % 4 !== 0) return null;
  return Buffer.from(decoded, 'base64');
}

function verify(message: Buffer, urlEncodedSignature: string, key: crypto.KeyObject): boolean {
  const signature = decodeSignature(urlEncodedSignature);
  if (!signature) return false;
  return crypto.verify('sha256', message, key, signature);
}

/** `algorithm=RSA256, keyVersion=1, signature=…` (spaces after commas optional). */
function parseSignatureHeader(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

interface Source { repository?: string; commit?: string; paths?: string[]; documentation?: string[] }

describe('Antom vectors: a real sandbox answer (published SDK test data)', () => {
  const file = load<{
    source: Source;
    antomPublicKeyBase64: string;
    vectors: Array<{ name: string; expect: 'valid' | 'invalid'; httpMethod: string; requestUri: string; clientId: string; responseTime: string; body: string; signature: string }>;
  }>('sandbox-response.json');
  const key = crypto.createPublicKey({ key: Buffer.from(file.antomPublicKeyBase64, 'base64'), format: 'der', type: 'spki' });

  it('the Antom public key is RSA-2048 and the source is pinned to a commit', () => {
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.match(file.source.commit ?? '', /^[0-9a-f]{40}$/);
  });

  for (const v of file.vectors) {
    it(`${v.name}: ${v.expect}`, () => {
      assert.equal(verify(content(v.httpMethod, v.requestUri, v.clientId, v.responseTime, v.body), v.signature, key), v.expect === 'valid');
    });
  }

  it('the signed body is compact JSON with the keys in alphabetical order, as Antom serialises', () => {
    const valid = file.vectors.find((v) => v.expect === 'valid');
    assert.ok(valid);
    const parsed = JSON.parse(valid.body) as Record<string, unknown>;
    assert.equal(JSON.stringify(parsed), valid.body);
    const keys = Object.keys(parsed);
    assert.deepEqual(keys, [...keys].sort());
    assert.deepEqual(parsed.result, { resultCode: 'PAYMENT_IN_PROCESS', resultMessage: 'payment in process', resultStatus: 'U' });
    assert.deepEqual(parsed.paymentAmount, { currency: 'SGD', value: '1000' }, 'amount value is a string of minor units');
  });

  it('one changed byte of the body no longer verifies', () => {
    const v = file.vectors[0];
    const tampered = v.body.replace('"value":"1000"', '"value":"1001"');
    assert.notEqual(tampered, v.body);
    assert.equal(verify(content(v.httpMethod, v.requestUri, v.clientId, v.responseTime, tampered), v.signature, key), false);
  });
});

describe('Antom vectors: our deterministic vectors from the documentation examples', () => {
  const file = load<{
    privateKeyPem: string;
    publicKeyPem: string;
    vectors: Array<{
      name: string; kind: string; httpMethod: string; requestUri: string; clientId: string; time: string; body: string;
      contentToBeSigned: string; signatureBase64: string; signatureUrlEncoded: string; signatureHeader: string; acknowledgementBody?: string;
    }>;
  }>('own-signatures.json');
  const privateKey = crypto.createPrivateKey(file.privateKeyPem.replaceAll('TESTING KEY', 'PRIVATE KEY'));
  const publicKey = crypto.createPublicKey(file.publicKeyPem);

  it('the key pair belongs together', () => {
    const derived = crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    assert.ok(derived.equals(publicKey.export({ type: 'spki', format: 'der' })));
  });

  for (const v of file.vectors) {
    it(`${v.name}: content, signature (reproduced byte for byte), URL-encoding and header`, () => {
      const message = content(v.httpMethod, v.requestUri, v.clientId, v.time, v.body);
      assert.equal(message.toString('utf8'), v.contentToBeSigned);
      assert.ok(v.contentToBeSigned.startsWith(`${v.httpMethod} ${v.requestUri}\n`), 'a single space between method and URI, then a newline');
      // PKCS#1 v1.5 is deterministic: the same key and bytes give the same signature.
      assert.equal(crypto.sign('sha256', message, privateKey).toString('base64'), v.signatureBase64);
      assert.equal(encodeURIComponent(v.signatureBase64), v.signatureUrlEncoded);
      assert.equal(verify(message, v.signatureUrlEncoded, publicKey), true);
      const header = parseSignatureHeader(v.signatureHeader);
      assert.equal(header.algorithm, 'RSA256');
      assert.equal(header.keyVersion, '1');
      assert.equal(header.signature, v.signatureUrlEncoded);
      // The time is signed as the literal header text: any other rendering of the same instant fails.
      const other = /^\d+$/.test(v.time) ? new Date(Number(v.time)).toISOString() : String(Date.parse(v.time));
      assert.equal(verify(content(v.httpMethod, v.requestUri, v.clientId, other, v.body), v.signatureUrlEncoded, publicKey), false);
    });
  }

  it('pretty and compact serialisations of the same request are different signed messages', () => {
    const pretty = file.vectors.find((v) => v.name === 'doc-request-pretty-body');
    const compact = file.vectors.find((v) => v.name === 'doc-request-compact-body');
    assert.ok(pretty && compact);
    assert.deepEqual(JSON.parse(pretty.body), JSON.parse(compact.body));
    assert.notEqual(pretty.signatureBase64, compact.signatureBase64);
    assert.equal(verify(content('POST', pretty.requestUri, pretty.clientId, pretty.time, compact.body), pretty.signatureUrlEncoded, publicKey), false);
  });

  it('URL-encoding: upper- or lower-case percent escapes decode alike; an unencoded "+" does not survive form decoding', () => {
    const v = file.vectors.find((x) => x.signatureBase64.includes('+')) ?? file.vectors[0];
    const message = content(v.httpMethod, v.requestUri, v.clientId, v.time, v.body);
    const lower = v.signatureUrlEncoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    assert.equal(verify(message, lower, publicKey), true);
    if (v.signatureBase64.includes('+')) {
      assert.equal(verify(message, v.signatureBase64, publicKey), false, 'raw base64 with "+" decodes to a space under URLDecoder');
    }
    // "/" and "=" left raw decode to themselves, so such a signature still verifies.
    const rawSlashes = v.signatureUrlEncoded.replace(/%2F/g, '/').replace(/%3D/g, '=');
    assert.equal(verify(message, rawSlashes, publicKey), true);
  });

  it('the notification acknowledgement body is exactly the documented one', () => {
    const n = file.vectors.find((v) => v.kind === 'notification');
    assert.ok(n?.acknowledgementBody);
    assert.deepEqual(JSON.parse(n.acknowledgementBody), { result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });
  });
});

describe('Antom vectors: signature strings printed in the documentation', () => {
  const file = load<{ examples: Array<{ name: string; header: string; algorithm: string; keyVersion: string; decodedBytes: number }> }>('doc-examples.json');
  for (const example of file.examples) {
    it(`${example.name}: parses and URL-decodes to an RSA-2048 signature`, () => {
      const header = parseSignatureHeader(example.header);
      assert.equal(header.algorithm, example.algorithm);
      assert.equal(header.keyVersion, example.keyVersion);
      const signature = decodeSignature(header.signature);
      assert.ok(signature);
      assert.equal(signature.length, example.decodedBytes);
      assert.equal(encodeURIComponent(signature.toString('base64')), header.signature, 'Java URLEncoder and encodeURIComponent agree on the base64 alphabet');
    });
  }
});
