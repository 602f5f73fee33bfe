'use strict'
// Per-call overhead of trivial pure functions from Node (issue 7 budget:
// under 2 us per call), and SimHash throughput for reference. Use a release
// build:  cd bindings/node && npm run build:release && node bench/overhead.js

const cw = require('..')

function perCall(label, fn, n = 1_000_000) {
  for (let i = 0; i < 10_000; i++) fn() // warm up
  let best = Infinity
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < n; i++) fn()
    best = Math.min(best, Number(process.hrtime.bigint() - t) / n)
  }
  return best
}

const a = cw.simhash('certificate iso 9001 quality management system')
const b = cw.simhash('certificate iso 14001 environmental management system')
const empty = perCall('empty', () => undefined)
const ham = perCall('hammingDistance', () => cw.hammingDistance(a, b))
const country = perCall('validateCountry', () => cw.validateCountry('DE'))
console.log(`empty JS call                    : ${empty.toFixed(0)} ns/call (reference)`)
console.log(`RESULT hammingDistance(a, b)     : ${ham.toFixed(0)} ns/call (budget < 2000): ${ham < 2000 ? 'OK' : 'MISSED'}`)
console.log(`validateCountry('DE')            : ${country.toFixed(0)} ns/call (string argument and result, for reference)`)

const words = 'certificate iso 9001 2015 quality management system scope design manufacture audit valid until'.split(' ')
const texts = Array.from({ length: 10_000 }, (_, i) => {
  let s = ''
  for (let j = 0; s.length < 5000; j++) s += words[(i * 7 + j * 13) % words.length] + ' ' + ((i + j) % 97) + ' '
  return s
})
const t = process.hrtime.bigint()
cw.simhashMany(texts)
console.log(`simhashMany of 10,000 texts (~5 KB): ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)} ms`)
