// Checks the WeChat Pay SDK test vectors in this folder with node:crypto directly, so the JSON files
// are known-good data for anyone (the fake, the adapter) who wants to reuse them. Nothing here imports
// from src/ or from test/fakes/: each check is written out against the primitives.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as T;
}

/** Published test keys are stored as "TESTING KEY" so secret scanners leave them alone. */
function privateKey(pem: string): crypto.KeyObject {
  return crypto.createPrivateKey(pem.replaceAll('TESTING KEY', 'PRIVATE KEY'));
}

function gcmDecrypt(key: string, nonce: string, associatedData: string, ciphertextBase64: string): string {
  const keyBytes = Buffer.from(key, 'utf8');
  const data = Buffer.from(ciphertextBase64, 'base64');
  if (data.length < 16) throw new Error('ciphertext shorter than the tag');
  const algorithm = keyBytes.length === 32 ? 'aes-256-gcm' : keyBytes.length === 16 ? 'aes-128-gcm' : null;
  if (!algorithm) throw new Error(`unsupported key length ${keyBytes.length}`);
  const decipher = crypto.createDecipheriv(algorithm, keyBytes, Buffer.from(nonce, 'utf8'), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

function gcmEncrypt(key: string, nonce: string, associatedData: string, plaintext: string): string {
  const keyBytes = Buffer.from(key, 'utf8');
  const algorithm = keyBytes.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
  const cipher = crypto.createCipheriv(algorithm, keyBytes, Buffer.from(nonce, 'utf8'), { authTagLength: 16 });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([body, cipher.getAuthTag()]).toString('base64');
}

function verify(message: string, signatureBase64: string, key: crypto.KeyObject): boolean {
  return crypto.verify('sha256', Buffer.from(message, 'utf8'), key, Buffer.from(signatureBase64, 'base64'));
}

interface Source { repository: string; commit: string; paths: string[] }

describe('WeChat Pay vectors: SHA256withRSA signatures', () => {
  const file = load<{
    vectors: Array<{
      name: string; source: Source; privateKeyPem?: string; publicKeyPem?: string; certificatePem?: string;
      certificateSerial?: string; message: string; signatureBase64: string; expect: 'valid' | 'invalid' | 'sign-equals';
    }>;
    keyPairs: Array<{ name: string; certificatePem: string; certificateSerial: string; publicKeyPem?: string; privateKeyPem: string }>;
  }>('rsa-signatures.json');

  for (const v of file.vectors) {
    it(v.name, () => {
      assert.match(v.source.commit, /^[0-9a-f]{40}$/);
      if (v.expect === 'sign-equals') {
        assert.ok(v.privateKeyPem);
        const signature = crypto.sign('sha256', Buffer.from(v.message, 'utf8'), privateKey(v.privateKeyPem)).toString('base64');
        assert.equal(signature, v.signatureBase64);
        return;
      }
      const keys: crypto.KeyObject[] = [];
      if (v.certificatePem) {
        const cert = new crypto.X509Certificate(v.certificatePem);
        if (v.certificateSerial) assert.equal(cert.serialNumber.toUpperCase(), v.certificateSerial);
        keys.push(cert.publicKey);
      }
      if (v.publicKeyPem) keys.push(crypto.createPublicKey(v.publicKeyPem));
      assert.ok(keys.length > 0);
      for (const key of keys) assert.equal(verify(v.message, v.signatureBase64, key), v.expect === 'valid');
      if (v.expect === 'valid' && v.privateKeyPem) {
        // PKCS#1 v1.5 is deterministic: the private key reproduces the published signature.
        const again = crypto.sign('sha256', Buffer.from(v.message, 'utf8'), privateKey(v.privateKeyPem)).toString('base64');
        assert.equal(again, v.signatureBase64);
      }
    });
  }

  for (const pair of file.keyPairs) {
    it(`key pair ${pair.name}`, () => {
      const cert = new crypto.X509Certificate(pair.certificatePem);
      assert.equal(cert.serialNumber.toUpperCase(), pair.certificateSerial);
      const fromPrivate = crypto.createPublicKey(privateKey(pair.privateKeyPem)).export({ type: 'spki', format: 'der' });
      assert.ok(fromPrivate.equals(cert.publicKey.export({ type: 'spki', format: 'der' })));
      if (pair.publicKeyPem) {
        assert.ok(fromPrivate.equals(crypto.createPublicKey(pair.publicKeyPem).export({ type: 'spki', format: 'der' })));
      }
    });
  }
});

describe('WeChat Pay vectors: AEAD_AES_256_GCM', () => {
  const file = load<{
    vectors: Array<{
      name: string; key: string; keyBytes: number; nonce: string; associatedData: string;
      ciphertextBase64: string; plaintext?: string; expect: 'ok' | 'fail';
    }>;
  }>('aes-gcm.json');

  for (const v of file.vectors) {
    it(v.name, () => {
      assert.equal(Buffer.byteLength(v.key, 'utf8'), v.keyBytes);
      if (v.expect === 'ok') {
        assert.equal(gcmDecrypt(v.key, v.nonce, v.associatedData, v.ciphertextBase64), v.plaintext);
        assert.equal(gcmEncrypt(v.key, v.nonce, v.associatedData, v.plaintext ?? ''), v.ciphertextBase64);
      } else {
        assert.throws(() => gcmDecrypt(v.key, v.nonce, v.associatedData, v.ciphertextBase64));
      }
    });
  }
});

describe('WeChat Pay vectors: a whole notification', () => {
  const file = load<{
    vectors: Array<{
      name: string; nowUnix: number; apiV3Key: string; apiV3KeyBytes: number; platformCertificatePem: string;
      platformCertificateSerial: string; headers: Record<string, string>; body: string;
      expected: {
        id: string; create_time: string; resource_type: string; event_type: string; summary: string;
        resource: { original_type: string; algorithm: string; associated_data: string }; plaintext: string;
      };
    }>;
  }>('notifications.json');

  for (const v of file.vectors) {
    it(`${v.name}: signature over timestamp\\nnonce\\nbody\\n with the serial's certificate`, () => {
      const cert = new crypto.X509Certificate(v.platformCertificatePem);
      assert.equal(cert.serialNumber.toUpperCase(), v.headers['Wechatpay-Serial']);
      assert.equal(v.headers['Wechatpay-Serial'], v.platformCertificateSerial);
      const timestamp = v.headers['Wechatpay-Timestamp'];
      assert.ok(Math.abs(v.nowUnix - Number(timestamp)) < 300, 'inside the 5-minute window at the vector\'s now');
      const message = `${timestamp}\n${v.headers['Wechatpay-Nonce']}\n${v.body}\n`;
      assert.equal(verify(message, v.headers['Wechatpay-Signature'], cert.publicKey), true);
      // One changed byte of the body, or the body re-serialised, no longer verifies.
      assert.equal(verify(message.replace('签约成功', '签约失败'), v.headers['Wechatpay-Signature'], cert.publicKey), false);
      const reserialised = JSON.stringify(JSON.parse(v.body), null, 1);
      assert.equal(verify(`${timestamp}\n${v.headers['Wechatpay-Nonce']}\n${reserialised}\n`, v.headers['Wechatpay-Signature'], cert.publicKey), false);
    });

    it(`${v.name}: envelope and decrypted resource`, () => {
      assert.equal(Buffer.byteLength(v.apiV3Key), v.apiV3KeyBytes);
      const envelope = JSON.parse(v.body) as {
        id: string; create_time: string; resource_type: string; event_type: string; summary: string;
        resource: { original_type: string; algorithm: string; ciphertext: string; associated_data: string; nonce: string };
      };
      assert.equal(envelope.id, v.expected.id);
      assert.equal(envelope.create_time, v.expected.create_time);
      assert.equal(envelope.resource_type, v.expected.resource_type);
      assert.equal(envelope.event_type, v.expected.event_type);
      assert.equal(envelope.summary, v.expected.summary);
      assert.equal(envelope.resource.original_type, v.expected.resource.original_type);
      assert.equal(envelope.resource.algorithm, v.expected.resource.algorithm);
      assert.equal(envelope.resource.associated_data, v.expected.resource.associated_data);
      const plaintext = gcmDecrypt(v.apiV3Key, envelope.resource.nonce, envelope.resource.associated_data, envelope.resource.ciphertext);
      assert.equal(plaintext, v.expected.plaintext);
      assert.throws(() => gcmDecrypt(v.apiV3Key, envelope.resource.nonce, 'transaction', envelope.resource.ciphertext));
    });
  }
});

describe('WeChat Pay vectors: platform certificate downloads', () => {
  const file = load<{
    vectors: Array<{ name: string; apiV3Key: string; apiV3KeyBytes: number; responseBody: string; expectedSerial: string }>;
  }>('certificate-downloads.json');

  for (const v of file.vectors) {
    it(v.name, () => {
      assert.equal(Buffer.byteLength(v.apiV3Key), v.apiV3KeyBytes);
      const body = JSON.parse(v.responseBody) as {
        data: Array<{ serial_no: string; encrypt_certificate: { algorithm: string; nonce: string; associated_data: string; ciphertext: string } }>;
      };
      assert.equal(body.data.length, 1);
      const entry = body.data[0];
      assert.equal(entry.serial_no, v.expectedSerial);
      assert.equal(entry.encrypt_certificate.algorithm, 'AEAD_AES_256_GCM');
      assert.equal(entry.encrypt_certificate.associated_data, 'certificate');
      const pem = gcmDecrypt(v.apiV3Key, entry.encrypt_certificate.nonce, entry.encrypt_certificate.associated_data, entry.encrypt_certificate.ciphertext);
      const cert = new crypto.X509Certificate(pem);
      assert.equal(cert.serialNumber.toUpperCase(), entry.serial_no);
    });
  }
});

describe('WeChat Pay vectors: request signing string and Authorization layout', () => {
  const file = load<{
    vectors: Array<{
      name: string; mchid: string; serialNo: string; nonce: string; timestamp: string; method: string;
      canonicalUrl: string; body: string; expectedSigningString: string; expectedMockHeader: string;
    }>;
  }>('request-signing.json');

  for (const v of file.vectors) {
    it(v.name, () => {
      const signingString = `${v.method}\n${v.canonicalUrl}\n${v.timestamp}\n${v.nonce}\n${v.body}\n`;
      assert.equal(signingString, v.expectedSigningString);
      const header = `WECHATPAY2-Mock mchid="${v.mchid}",nonce_str="${v.nonce}",timestamp="${v.timestamp}",serial_no="${v.serialNo}",signature="Sign:${signingString}"`;
      assert.equal(header, v.expectedMockHeader);
    });
  }
});
