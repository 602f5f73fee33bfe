'use strict'
// The certwatch package: the native addon (native.js, built by
// `npm run build`) behind a thin façade that turns the addon's encoded
// errors into classes. Every rule is the Rust core's; nothing is
// re-implemented here.

const native = require('./native.js')

const PREFIX = 'certwatch-error:'

/** Base class of every CertWatch error: `kind` names the class, `details` holds structured data. */
class CertWatchError extends Error {
  constructor(message, details = {}) {
    super(message)
    this.name = this.constructor.name
    this.kind = this.constructor.name
    this.details = details
    Object.assign(this, details)
  }
}
class ValidationError extends CertWatchError {}
class NotFound extends CertWatchError {}
class Conflict extends CertWatchError {}
class InvalidTransition extends CertWatchError {}
class Forbidden extends CertWatchError {}
class AuthenticationError extends CertWatchError {}
class StoreError extends CertWatchError {}
class ExtractionError extends CertWatchError {}
class SignatureError extends CertWatchError {}
class InternalError extends CertWatchError {}

const errors = {
  CertWatchError,
  ValidationError,
  NotFound,
  Conflict,
  InvalidTransition,
  Forbidden,
  AuthenticationError,
  StoreError,
  ExtractionError,
  SignatureError,
  InternalError,
}

/** The class instance for an error thrown by the addon (cause kept). */
function convert(err) {
  if (!(err instanceof Error) || err instanceof CertWatchError) return err
  const msg = err.message || ''
  if (msg.startsWith(PREFIX)) {
    const e = JSON.parse(msg.slice(PREFIX.length))
    const Cls = errors[e.kind] || InternalError
    return new Cls(e.message, e.details)
  }
  // A panic caught by napi (catch_unwind) is a bug; anything else napi
  // raises itself is an argument it could not convert: the caller's TypeError.
  if (/panic/i.test(msg)) return new InternalError(msg, {})
  if (err instanceof TypeError) return err
  return new TypeError(msg, { cause: err })
}

function sync(fn) {
  const wrapped = function (...args) {
    try {
      return fn(...args)
    } catch (err) {
      throw convert(err)
    }
  }
  Object.defineProperty(wrapped, 'name', { value: fn.name })
  return wrapped
}

function rethrow(err) {
  throw convert(err)
}

/** The tenant-scoped services as one authenticated user (see `Store.session`). */
class Session {
  #inner
  constructor(inner) {
    this.#inner = inner
  }
  get tenantId() { return this.#inner.tenantId }
  get userId() { return this.#inner.userId }
  get role() { return this.#inner.role }
  createOrganization(input) { return this.#inner.createOrganization(input).catch(rethrow) }
  listOrganizations(query = {}) { return this.#inner.listOrganizations(query).catch(rethrow) }
  createSite(organizationId, input) { return this.#inner.createSite(organizationId, input).catch(rethrow) }
  listSites(organizationId) { return this.#inner.listSites(organizationId).catch(rethrow) }
  createCertificate(input) { return this.#inner.createCertificate(input).catch(rethrow) }
  transition(certificateId, to, expiryDate = null, reason = null) {
    return this.#inner.transition(certificateId, to, expiryDate, reason).catch(rethrow)
  }
  listExpiring(withinDays, page = null, pageSize = null) {
    return this.#inner.listExpiring(withinDays, page, pageSize).catch(rethrow)
  }
}

/** A database (the server's, or any other) and the CertWatch services over it. */
class Store {
  #inner
  constructor(inner) {
    this.#inner = inner
  }
  get backend() { return this.#inner.backend }
  register(input) { return this.#inner.register(input).catch(rethrow) }
  verifyEmail(token) { return this.#inner.verifyEmail(token).catch(rethrow) }
  login(email, password, tenantSlug = null) { return this.#inner.login(email, password, tenantSlug).catch(rethrow) }
  async session(token) {
    return new Session(await this.#inner.session(token).catch(rethrow))
  }
}

/** Opens `sqlite://path`, `sqlite::memory:` or `postgres://…`; `{ migrate: true }` applies migrations first. */
async function open(url, options = {}) {
  return new Store(await native.open(url, options).catch(rethrow))
}

/** `{score, verdict, rule}`; `simhash` fields may be bigints. */
function duplicateScore(a, b) {
  const plain = (s) => (typeof s?.simhash === 'bigint' ? { ...s, simhash: s.simhash.toString() } : s)
  try {
    return native.duplicateScore(plain(a), plain(b))
  } catch (err) {
    throw convert(err)
  }
}

module.exports = {
  ...errors,
  // certificate state machine
  statuses: sync(native.statuses),
  allowedTransitions: sync(native.allowedTransitions),
  applyTransition: sync(native.applyTransition),
  // validators
  validateLei: sync(native.validateLei),
  validateCountry: sync(native.validateCountry),
  validateUrl: sync(native.validateUrl),
  // webhook signatures
  generateSigningSecret: sync(native.generateSigningSecret),
  signWebhook: sync(native.signWebhook),
  verifyWebhook: sync(native.verifyWebhook),
  // dedupe (the trivial ones unwrapped: they cannot fail but on bad arguments)
  simhash: native.simhash,
  simhashMany: native.simhashMany,
  hammingDistance: native.hammingDistance,
  similarity: native.similarity,
  duplicateScore,
  // extraction
  pdfText: sync(native.pdfText),
  extractFields: sync(native.extractFields),
  // store
  open,
  Store,
  Session,
}
Object.defineProperty(module.exports, '_coreErrorSample', { value: sync(native._coreErrorSample), enumerable: false })
