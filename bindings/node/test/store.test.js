'use strict'
// The store handle on SQLite and on a fresh Postgres database: the same
// services as the server, as Promises.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const path = require('node:path')
const cw = require('..')
const { PASSWORD, freshPostgres, tempDir, onboard } = require('./helpers')

const pg = freshPostgres()
test.after(() => pg.drop())
const backends = {
  sqlite: () => `sqlite://${path.join(tempDir(), 'certwatch.sqlite')}`,
  postgres: () => pg.url,
}
const uuid = () => crypto.randomUUID()
const isoIn = (days) => new Date(Date.now() + days * 86400e3).toISOString().slice(0, 10)

for (const [backend, url] of Object.entries(backends)) {
  test(`${backend}: tenant admin lifecycle`, async () => {
    const store = await cw.open(url(), { migrate: true })
    assert.equal(store.backend, backend)
    const email = `ada-${crypto.randomBytes(4).toString('hex')}@example.com`
    const reg = await store.register({ email, password: PASSWORD, tenant_name: "Ada's Parts", full_name: 'Ada' })
    assert.equal(reg.role, 'admin')
    assert.match(reg.tenant_slug, /^ada-s-parts/)
    await assert.rejects(store.login(email, PASSWORD), (e) => e instanceof cw.AuthenticationError && /not verified/.test(e.message))
    await assert.rejects(store.verifyEmail('nope'), cw.AuthenticationError)
    assert.equal((await store.verifyEmail(reg.verification_token)).is_active, true)
    await assert.rejects(store.register({ email, password: PASSWORD, tenant_name: 'Again' }), cw.Conflict)
    await assert.rejects(store.register({ email: 'not-an-email', password: 'x', tenant_name: '' }), (e) => {
      const fields = new Set(e.errors.map((v) => v.field))
      return e instanceof cw.ValidationError && fields.has('email') && fields.has('tenant_name')
    })
    await assert.rejects(store.register({ email, password: PASSWORD }), cw.ValidationError)
    const login = await store.login(email, PASSWORD)
    await assert.rejects(store.login(email, 'wrong password!'), cw.AuthenticationError)
    const s = await store.session(login.token)
    assert.deepEqual([s.tenantId, s.userId, s.role], [reg.tenant_id, reg.user_id, 'admin'])
  })

  test(`${backend}: suppliers and certificates`, async () => {
    const store = await cw.open(url(), { migrate: true })
    const { session: s } = await onboard(store)
    const org = await s.createOrganization({ name: 'Muster GmbH', country: 'de', lei: '5493001KJTIIGC8Y1R12', external_id: 'ERP-1' })
    assert.deepEqual([org.country, org.lei, org.external_id], ['DE', '5493001KJTIIGC8Y1R12', 'ERP-1'])
    await assert.rejects(s.createOrganization({ name: 'Other', external_id: 'ERP-1' }), (e) => e instanceof cw.Conflict && /external_id/.test(e.message))
    await assert.rejects(s.createOrganization({ name: 'Bad', country: 'XX', website: 'ftp://x' }), (e) =>
      e instanceof cw.ValidationError && e.errors.map((v) => v.field).sort().join() === 'country,website')

    const site = await s.createSite(org.id, { name: 'Werk Nord', address: 'Hafenstr. 1, Hamburg' })
    assert.equal(site.organization_id, org.id)
    assert.deepEqual((await s.listSites(org.id)).map((x) => x.name), ['Werk Nord'])
    await assert.rejects(s.createSite(uuid(), { name: 'Ghost' }), (e) => e instanceof cw.NotFound && e.message === 'organization not found')
    await assert.rejects(s.listSites('not-a-uuid'), cw.ValidationError)

    const soon = isoIn(10)
    const cert = await s.createCertificate({ organization_id: org.id, certificate_type: 'ISO_9001', certificate_number: '12 100 4711', status: 'ACTIVE', expiry_date: soon, site_ids: [site.id] })
    assert.deepEqual([cert.status, cert.expiry_date, cert.site_ids], ['ACTIVE', soon, [site.id]])
    await assert.rejects(s.createCertificate({ organization_id: org.id, certificate_type: 'NOPE' }), cw.ValidationError)

    const expiring = await s.listExpiring(30)
    assert.deepEqual([expiring.items.map((c) => c.id), expiring.total], [[cert.id], 1])
    assert.equal((await s.listExpiring(5)).total, 0)
    const page = await s.listOrganizations({ search: 'muster' })
    assert.equal(page.total, 1)
    assert.deepEqual(page.items[0].counts, { active: 1, expiring: 1, expired: 0 })
    assert.equal((await s.listOrganizations({ has_expired: true })).total, 0)
    await assert.rejects(s.listOrganizations({ page_size: 100000 }), cw.ValidationError)

    assert.equal((await s.transition(cert.id, 'SUSPENDED', null, 'audit overdue')).status, 'SUSPENDED')
    assert.equal((await s.transition(cert.id, 'REVOKED')).status, 'REVOKED')
    await assert.rejects(s.transition(cert.id, 'ACTIVE', '2099-01-01'), (e) => e instanceof cw.InvalidTransition && e.allowed_transitions.length === 0)
    await assert.rejects(s.transition(uuid(), 'ACTIVE'), cw.NotFound)
    assert.equal((await s.listExpiring(30)).total, 0)
  })

  test(`${backend}: tenants are isolated; handles share the database`, async () => {
    const u = url()
    const first = await cw.open(u, { migrate: true })
    const { session: a, token } = await onboard(first, 'A')
    const { session: b } = await onboard(first, 'B')
    const org = await a.createOrganization({ name: 'Only A' })
    assert.equal((await b.listOrganizations()).total, 0)
    await assert.rejects(b.listSites(org.id), cw.NotFound)
    const again = await (await cw.open(u)).session(token)
    assert.deepEqual((await again.listOrganizations()).items.map((o) => o.name), ['Only A'])
  })
}

test('open failures are StoreErrors', async () => {
  await assert.rejects(cw.open('mysql://localhost/x'), /unsupported database URL scheme/)
  await assert.rejects(cw.open('postgres://nobody@127.0.0.1:1/none'), (e) => e instanceof cw.StoreError && /could not connect/.test(e.message))
  await assert.rejects(cw.open(`sqlite://${tempDir()}/missing-dir/x.sqlite`), cw.StoreError)
})
