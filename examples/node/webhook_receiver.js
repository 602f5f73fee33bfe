'use strict'
// A webhook receiver (node:http) that accepts only deliveries signed by
// CertWatch with your subscriber's signing secret.
//
//   CERTWATCH_WEBHOOK_SECRET=whsec_... node examples/node/webhook_receiver.js [port]
//
// Each verified event is printed as one JSON line; anything unsigned,
// tampered or replayed (older than five minutes) gets 401.

const http = require('node:http')
const certwatch = require('certwatch')

const MAX_BODY = 1 << 20

/** A server verifying with `secret` (call .listen yourself). */
function createReceiver(secret, onEvent = (e) => console.log(JSON.stringify(e))) {
  return http.createServer((req, res) => {
    const chunks = []
    let size = 0
    req.on('data', (c) => {
      size += c.length
      if (size > MAX_BODY) req.destroy()
      else chunks.push(c)
    })
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const reply = (status, doc) => {
        res.writeHead(status, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify(doc))
      }
      try {
        certwatch.verifyWebhook(secret, req.headers, body)
      } catch (e) {
        if (e instanceof certwatch.SignatureError) return reply(401, { error: e.message })
        throw e
      }
      onEvent({ verified: true, webhook_id: req.headers['webhook-id'], event: JSON.parse(body) })
      reply(200, { ok: true })
    })
  })
}

module.exports = { createReceiver }

if (require.main === module) {
  const secret = process.env.CERTWATCH_WEBHOOK_SECRET
  if (!secret) {
    console.error("set CERTWATCH_WEBHOOK_SECRET to the subscriber's signing secret (whsec_...)")
    process.exit(2)
  }
  const server = createReceiver(secret)
  server.listen(Number(process.argv[2] ?? 9000), '127.0.0.1', () =>
    console.error(`listening on http://127.0.0.1:${server.address().port}/`))
}
