'use strict'
// Shared by the node --test suites: paths, the Rust oracle (the core's own
// answers, bindings/common/examples/oracle.rs), fresh Postgres databases.

const { execFileSync, spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const REPO = path.resolve(__dirname, '..', '..', '..')
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
const PASSWORD = 'correct horse battery staple'

function corpusDir() {
  const dir = process.env.CERTWATCH_CORPUS_DIR || path.join(REPO, '..', 'shared', 'corpus')
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new Error(`the certificate corpus is missing at ${dir}: set CERTWATCH_CORPUS_DIR to a copy of shared/corpus`)
  }
  return dir
}

function oracle(args, { check = true } = {}) {
  const exe = process.env.CERTWATCH_ORACLE
  if (!exe || !fs.existsSync(exe)) {
    throw new Error('CERTWATCH_ORACLE must name the oracle binary: run scripts/test-bindings, or cargo build --manifest-path bindings/Cargo.toml -p certwatch-bindings-common --example oracle')
  }
  const p = spawnSync(exe, args.map(String), { encoding: 'utf8', maxBuffer: 256 << 20 })
  if (check && p.status !== 0) throw new Error(`oracle ${args[0]} failed: ${p.stderr}`)
  return p
}

function psql(sql) {
  try {
    execFileSync('psql', [ADMIN_URL, '-v', 'ON_ERROR_STOP=1', '-Atqc', sql], { stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    throw new Error(`Postgres is unreachable at ${ADMIN_URL}: ${e.stderr || e.message}\nStart it (scripts/test starts a throwaway one) or set DATABASE_URL to an admin URL.`)
  }
}

/** A fresh, uniquely named database; call drop() when done. */
function freshPostgres() {
  const name = `cw_node_${crypto.randomBytes(6).toString('hex')}`
  psql(`CREATE DATABASE "${name}"`)
  const u = new URL(ADMIN_URL)
  u.pathname = `/${name}`
  return { url: u.toString(), drop: () => psql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) }
}

function tempDir() {
  return fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'certwatch-node-'))
}

/** Registers and verifies a tenant admin; returns { session, token }. */
async function onboard(store, label = 'Acme') {
  const email = `admin-${crypto.randomBytes(5).toString('hex')}@example.com`
  const reg = await store.register({ email, password: PASSWORD, tenant_name: `${label} ${crypto.randomBytes(3).toString('hex')}`, full_name: 'Ada Admin' })
  await store.verifyEmail(reg.verification_token)
  const { token } = await store.login(email, PASSWORD)
  return { session: await store.session(token), token }
}

module.exports = { REPO, PASSWORD, corpusDir, oracle, freshPostgres, tempDir, onboard }
