// Types of the certwatch package (index.js). The addon's own generated
// declarations are in native.d.ts after `npm run build`.

/// <reference types="node" />

export type Status = 'PENDING' | 'ACTIVE' | 'SUSPENDED' | 'EXPIRED' | 'REVOKED'
/** An ISO date, `YYYY-MM-DD`. */
export type IsoDate = string

/** Base class of every CertWatch error; `kind` is the class name. */
export class CertWatchError extends Error {
  readonly kind: string
  readonly details: Record<string, unknown>
}
export class ValidationError extends CertWatchError {
  readonly errors: { field: string; message: string }[]
}
export class NotFound extends CertWatchError {}
export class Conflict extends CertWatchError {}
export class InvalidTransition extends CertWatchError {
  readonly allowed_transitions: Status[]
}
export class Forbidden extends CertWatchError {}
export class AuthenticationError extends CertWatchError {}
export class StoreError extends CertWatchError {}
export class ExtractionError extends CertWatchError {}
export class SignatureError extends CertWatchError {}
/** A bug in CertWatch (a panic caught at the boundary). */
export class InternalError extends CertWatchError {}

// certificate state machine
export function statuses(): Status[]
export function allowedTransitions(status: string): Status[]
export function applyTransition(
  status: string,
  to: string,
  today: IsoDate,
  expiryDate?: IsoDate | null,
  newExpiryDate?: IsoDate | null,
): { status: Status; expiry_date: IsoDate | null }

// validators: the canonical form, or a ValidationError
export function validateLei(value: string): string
export function validateCountry(value: string): string
export function validateUrl(value: string): string

// webhook signatures (the server's scheme: X-Webhook-Signature + Standard Webhooks)
export function generateSigningSecret(): string
export function signWebhook(secret: string, id: string, timestamp: number, body: Buffer): Record<string, string>
/** Throws a SignatureError unless the delivery verifies. `headers` may be `req.headers`. */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  now?: number | null,
  tolerance?: number | null,
): void

// dedupe: fingerprints are 64-bit, hence bigint
export function simhash(text: string): bigint
export function simhashMany(texts: string[]): bigint[]
export function hammingDistance(a: bigint, b: bigint): number
export function similarity(a: bigint, b: bigint): number
export interface DuplicateSubject {
  document_hash?: string | null
  certificate_number?: string | null
  certificate_type?: string | null
  issuing_body?: string | null
  issue_date?: IsoDate | null
  expiry_date?: IsoDate | null
  simhash?: bigint | string | null
}
export function duplicateScore(
  a: DuplicateSubject,
  b: DuplicateSubject,
): { score: number; verdict: 'duplicate' | 'possible' | 'distinct'; rule: string }

// extraction
export function pdfText(data: Buffer): { text: string; pages: string[]; has_text_layer: boolean }
export interface Field<T> {
  value: T
  confidence: number
  evidence: string
}
export interface Extraction {
  is_certificate: boolean
  fields: {
    certificate_number: Field<string> | null
    certificate_type: Field<string> | null
    standard_text: Field<string> | null
    issuing_body: Field<string> | null
    holder_name: Field<string> | null
    issue_date: Field<IsoDate> | null
    valid_from: Field<IsoDate> | null
    expiry_date: Field<IsoDate> | null
    scope: Field<string> | null
    sites: Field<{ name: string; address: string | null; scope: string | null }[]> | null
  }
}
export function extractFields(text: string, filename?: string | null, referenceDate?: IsoDate | null): Extraction

// store: records are plain objects shaped like the REST API's bodies
export type Record_ = Record<string, any>
export interface Page {
  items: Record_[]
  total: number
}
export function open(url: string, options?: { migrate?: boolean }): Promise<Store>

export class Store {
  private constructor()
  readonly backend: 'sqlite' | 'postgres'
  register(input: { email: string; password: string; tenant_name: string; full_name?: string | null }): Promise<Record_>
  verifyEmail(token: string): Promise<Record_>
  login(email: string, password: string, tenantSlug?: string | null): Promise<Record_ & { token: string }>
  session(token: string): Promise<Session>
}

export class Session {
  private constructor()
  readonly tenantId: string
  readonly userId: string
  readonly role: 'admin' | 'member'
  createOrganization(input: {
    name: string
    external_id?: string | null
    website?: string | null
    lei?: string | null
    vat?: string | null
    country?: string | null
  }): Promise<Record_>
  listOrganizations(query?: {
    search?: string
    country?: string
    has_expiring?: boolean
    has_expired?: boolean
    order?: 'name_asc' | 'name_desc' | 'created_asc' | 'created_desc'
    page?: number
    page_size?: number
  }): Promise<Page>
  createSite(organizationId: string, input: { name: string; address?: string | null }): Promise<Record_>
  listSites(organizationId: string): Promise<Record_[]>
  createCertificate(input: { organization_id: string; certificate_type: string; [field: string]: unknown }): Promise<Record_>
  transition(certificateId: string, to: Status, expiryDate?: IsoDate | null, reason?: string | null): Promise<Record_>
  listExpiring(withinDays: number, page?: number | null, pageSize?: number | null): Promise<Page>
}
