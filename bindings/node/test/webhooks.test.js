'use strict'
// Webhook signatures cross-checked with the Rust server's signing code (the
// oracle calls certwatch_core::webhooks::signing, as the delivery job does).
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const cw = require('..')
const { oracle, tempDir } = require('./helpers')

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const BODY = Buffer.from(JSON.stringify({ type: 'certificate.updated', data: { id: 'c1', changed: ['status'] } }))

test('Standard Webhooks reference vector', () => {
  const body = Buffer.from('{"test": 2432232314}')
  const h = cw.signWebhook(SECRET, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)
  assert.equal(h['webhook-signature'], 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  assert.equal(h['X-Webhook-Signature'], 'sha256=' + crypto.createHmac('sha256', SECRET).update(body).digest('hex'))
  cw.verifyWebhook(SECRET, h, body, 1614265330)
})

test('signed by the server, verified by Node', () => {
  const dir = tempDir()
  fs.writeFileSync(path.join(dir, 'body'), BODY)
  const ts = Math.floor(Date.now() / 1000)
  const headers = JSON.parse(oracle(['sign', SECRET, 'delivery-1', ts, path.join(dir, 'body')]).stdout)
  assert.deepEqual(Object.keys(headers).sort(), ['X-Webhook-Signature', 'webhook-id', 'webhook-signature', 'webhook-timestamp'])
  cw.verifyWebhook(SECRET, headers, BODY)
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  cw.verifyWebhook(SECRET, lower, BODY, ts + 300)
  assert.throws(() => cw.verifyWebhook(SECRET, headers, Buffer.concat([BODY, Buffer.from(' ')]), ts), (e) => e instanceof cw.SignatureError && /mismatch/.test(e.message))
  assert.throws(() => cw.verifyWebhook(SECRET, headers, BODY, ts + 301), /tolerance/)
  assert.throws(() => cw.verifyWebhook(cw.generateSigningSecret(), headers, BODY, ts), /mismatch/)
  assert.throws(() => cw.verifyWebhook(SECRET, { 'webhook-signature': headers['webhook-signature'] }, BODY, ts), /missing header webhook-id/)
})

test('signed by Node, verified by the server', () => {
  const secret = cw.generateSigningSecret()
  assert.match(secret, /^whsec_/)
  const ts = 1800000000
  const headers = cw.signWebhook(secret, 'delivery-2', ts, BODY)
  const dir = tempDir()
  const body = path.join(dir, 'body')
  const hfile = path.join(dir, 'headers.json')
  fs.writeFileSync(body, BODY)
  fs.writeFileSync(hfile, JSON.stringify(headers))
  assert.equal(oracle(['verify', secret, body, ts, hfile]).stdout.trim(), 'ok')
  fs.writeFileSync(body, Buffer.from(BODY.toString().replace('status', 'scope')))
  const refused = oracle(['verify', secret, body, ts, hfile], { check: false })
  assert.equal(refused.status, 1)
  assert.match(refused.stderr, /signature mismatch/)
})
