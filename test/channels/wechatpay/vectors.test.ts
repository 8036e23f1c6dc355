// The WeChat Pay SDKs' published vectors (test/vectors/wechatpay/*.json) run against the
// adapter's own signing, verification and decryption code (src/channels/wechatpay/).
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  answerSigningMessage,
  authorizationHeader,
  decryptResource,
  requestSigningMessage,
  signSha256Rsa,
  verifySha256Rsa,
} from '../../../src/channels/wechatpay/wechatpay-crypto.js';
import { parsePlatformCertificates, signatureHeadersOf, verifySignature } from '../../../src/channels/wechatpay/wechatpay-verifier.js';

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../vectors/wechatpay/${name}`, import.meta.url), 'utf8')) as T;
}

/** Published test keys are stored as "TESTING KEY" so secret scanners leave them alone. */
const privateKeyOf = (pem: string) => createPrivateKey(pem.replaceAll('TESTING KEY', 'PRIVATE KEY'));

describe('WeChat Pay vectors against the adapter: SHA256withRSA', () => {
  const file = load<{
    vectors: Array<{ name: string; privateKeyPem?: string; publicKeyPem?: string; certificatePem?: string; certificateSerial?: string; message: string; signatureBase64: string; expect: string }>;
  }>('rsa-signatures.json');
  for (const v of file.vectors) {
    test(v.name, () => {
      if (v.expect === 'sign-equals') {
        assert.equal(signSha256Rsa(v.message, privateKeyOf(v.privateKeyPem as string)), v.signatureBase64);
        return;
      }
      const keys: KeyObject[] = [];
      if (v.certificatePem) {
        const [cert] = parsePlatformCertificates(v.certificatePem);
        if (v.certificateSerial) assert.equal(cert.serial, v.certificateSerial);
        keys.push(cert.key);
      }
      if (v.publicKeyPem) keys.push(createPublicKey(v.publicKeyPem));
      assert.ok(keys.length > 0);
      for (const key of keys) assert.equal(verifySha256Rsa(v.message, v.signatureBase64, key), v.expect === 'valid');
      if (v.expect === 'valid' && v.privateKeyPem) assert.equal(signSha256Rsa(v.message, privateKeyOf(v.privateKeyPem)), v.signatureBase64);
    });
  }

  test('a probe, a truncated or a non-base64 signature never verifies', () => {
    const v = file.vectors.find((x) => x.name === 'go-verify-with-public-key') as (typeof file.vectors)[number];
    const key = createPublicKey(v.publicKeyPem as string);
    assert.equal(verifySha256Rsa(v.message, v.signatureBase64, key), true);
    assert.equal(verifySha256Rsa(v.message, `WECHATPAY/SIGNTEST/${v.signatureBase64}`, key), false);
    assert.equal(verifySha256Rsa(v.message, v.signatureBase64.slice(0, -4), key), false);
    assert.equal(verifySha256Rsa(v.message, `${v.signatureBase64.slice(0, 10)}!${v.signatureBase64.slice(11)}`, key), false);
  });
});

describe('WeChat Pay vectors against the adapter: request signing', () => {
  const file = load<{
    vectors: Array<{ name: string; mchid: string; serialNo: string; nonce: string; timestamp: string; method: string; canonicalUrl: string; body: string; expectedSigningString: string; expectedMockHeader: string }>;
  }>('request-signing.json');
  for (const v of file.vectors) {
    test(v.name, () => {
      const message = requestSigningMessage(v.method, v.canonicalUrl, v.timestamp, v.nonce, v.body);
      assert.equal(message.toString('utf8'), v.expectedSigningString);
      // The Go SDK's mock signer "signs" with `Sign:` + the signing string; the header layout is ours.
      const header = authorizationHeader({ mchid: v.mchid, nonce: v.nonce, timestamp: v.timestamp, serialNo: v.serialNo, signature: `Sign:${message.toString('utf8')}` }, 'WECHATPAY2-Mock');
      assert.equal(header, v.expectedMockHeader);
    });
  }
});

describe('WeChat Pay vectors against the adapter: AEAD_AES_256_GCM', () => {
  const file = load<{ vectors: Array<{ name: string; key: string; keyBytes: number; nonce: string; associatedData: string; ciphertextBase64: string; plaintext?: string; expect: 'ok' | 'fail' }> }>(
    'aes-gcm.json',
  );
  for (const v of file.vectors) {
    test(v.name, () => {
      const resource = { algorithm: 'AEAD_AES_256_GCM', nonce: v.nonce, associated_data: v.associatedData, ciphertext: v.ciphertextBase64 };
      if (v.keyBytes !== 32) {
        // The Go SDK's tests use 16-byte keys (AES-128); real APIv3 keys are 32 bytes, and only those are taken.
        assert.throws(() => decryptResource(v.key, resource), /32 bytes/);
        return;
      }
      if (v.expect === 'ok') assert.equal(decryptResource(v.key, resource), v.plaintext);
      else assert.throws(() => decryptResource(v.key, resource));
    });
  }

  test('a ciphertext with one bit changed does not authenticate', () => {
    const v = file.vectors.find((x) => x.name === 'java-aes-256-gcm') as (typeof file.vectors)[number];
    const bytes = Buffer.from(v.ciphertextBase64, 'base64');
    bytes[0] ^= 1;
    assert.throws(() => decryptResource(v.key, { nonce: v.nonce, associated_data: v.associatedData, ciphertext: bytes.toString('base64') }));
  });
});

describe('WeChat Pay vectors against the adapter: platform certificate downloads', () => {
  const file = load<{ vectors: Array<{ name: string; apiV3Key: string; apiV3KeyBytes: number; responseBody: string; expectedSerial: string }> }>('certificate-downloads.json');
  for (const v of file.vectors) {
    test(v.name, () => {
      const item = (JSON.parse(v.responseBody) as { data: Array<{ serial_no: string; encrypt_certificate: { nonce: string; associated_data: string; ciphertext: string } }> }).data[0];
      assert.equal(item.serial_no, v.expectedSerial);
      if (v.apiV3KeyBytes !== 32) {
        assert.throws(() => decryptResource(v.apiV3Key, item.encrypt_certificate), /32 bytes/);
        return;
      }
      const [cert] = parsePlatformCertificates(decryptResource(v.apiV3Key, item.encrypt_certificate));
      assert.equal(cert.serial, v.expectedSerial);
    });
  }
});

describe('WeChat Pay vectors against the adapter: a signed notification', () => {
  const file = load<{
    vectors: Array<{ name: string; nowUnix: number; apiV3Key: string; platformCertificatePem: string; platformCertificateSerial: string; headers: Record<string, string>; body: string }>;
  }>('notifications.json');
  const v = file.vectors[0];
  const lower = Object.fromEntries(Object.entries(v.headers).map(([k, value]) => [k.toLowerCase(), value]));
  const keys = new Map([[v.platformCertificateSerial, new X509Certificate(v.platformCertificatePem).publicKey]]);
  const now = v.nowUnix * 1000;

  test(`${v.name}: verifies over timestamp\\nnonce\\nbody\\n with the certificate its serial names, at the SDK's pinned clock`, () => {
    assert.deepEqual(verifySignature(signatureHeadersOf(lower), v.body, keys, now), { ok: true, serial: v.platformCertificateSerial });
    // The message the signature covers is exactly the three lines.
    assert.equal(answerSigningMessage(lower['wechatpay-timestamp'], lower['wechatpay-nonce'], v.body).toString('utf8'), `${lower['wechatpay-timestamp']}\n${lower['wechatpay-nonce']}\n${v.body}\n`);
  });

  test(`${v.name}: refused five minutes later, a minute before is fine`, () => {
    assert.equal(verifySignature(signatureHeadersOf(lower), v.body, keys, now + 300_000).ok, false);
    assert.equal(verifySignature(signatureHeadersOf(lower), v.body, keys, now - 60_000).ok, true);
  });

  test(`${v.name}: refused with one byte of the body changed, another serial, or a probe signature`, () => {
    const changed = v.body.replace('"summary":"签约成功"', '"summary":"签约成功 "');
    assert.notEqual(changed, v.body);
    assert.deepEqual(pick(verifySignature(signatureHeadersOf(lower), changed, keys, now)), { ok: false, problem: 'bad_signature' });
    assert.deepEqual(pick(verifySignature({ ...signatureHeadersOf(lower), serial: 'F5765756002FDD77' }, v.body, keys, now)), { ok: false, problem: 'unknown_key' });
    assert.deepEqual(pick(verifySignature({ ...signatureHeadersOf(lower), signature: `WECHATPAY/SIGNTEST/${lower['wechatpay-signature']}` }, v.body, keys, now)), {
      ok: false,
      problem: 'probe',
    });
  });

  test(`${v.name}: its resource uses a 16-byte test key, which the adapter refuses (real APIv3 keys are 32 bytes)`, () => {
    const resource = (JSON.parse(v.body) as { resource: { nonce: string; associated_data: string; ciphertext: string } }).resource;
    assert.throws(() => decryptResource(v.apiV3Key, resource), /32 bytes/);
  });
});

function pick(verdict: { ok: boolean; problem?: string }) {
  return { ok: verdict.ok, problem: verdict.problem };
}
