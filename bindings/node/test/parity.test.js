'use strict'
// Parity: the package exposes exactly bindings/surface.json (in camelCase),
// which the Python suite checks too.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const cw = require('..')

const SURFACE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'surface.json'), 'utf8'))
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
const isClass = (v) => typeof v === 'function' && /^class\s/.test(Function.prototype.toString.call(v))

test('functions match the surface', () => {
  const fns = Object.keys(cw).filter((k) => typeof cw[k] === 'function' && !isClass(cw[k]))
  assert.deepEqual(fns.sort(), SURFACE.functions.map(camel).sort())
})

test('errors match the surface', () => {
  const errs = Object.keys(cw).filter((k) => isClass(cw[k]) && (cw[k] === Error || cw[k].prototype instanceof Error))
  assert.deepEqual(errs.sort(), Object.keys(SURFACE.errors).sort())
  for (const [name, parent] of Object.entries(SURFACE.errors)) {
    if (parent) assert.equal(Object.getPrototypeOf(cw[name]), cw[parent], name)
  }
})

test('classes match the surface', () => {
  const classes = Object.keys(cw).filter((k) => isClass(cw[k]) && !(cw[k].prototype instanceof Error))
  assert.deepEqual(classes.sort(), Object.keys(SURFACE.classes).sort())
  for (const [name, spec] of Object.entries(SURFACE.classes)) {
    const proto = cw[name].prototype
    const own = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor')
    const props = own.filter((n) => Object.getOwnPropertyDescriptor(proto, n).get)
    const methods = own.filter((n) => typeof Object.getOwnPropertyDescriptor(proto, n).value === 'function')
    assert.deepEqual(props.sort(), spec.properties.map(camel).sort(), `${name} properties`)
    assert.deepEqual(methods.sort(), spec.methods.map(camel).sort(), `${name} methods`)
  }
})

test('every export is on the surface', () => {
  const all = [...SURFACE.functions.map(camel), ...Object.keys(SURFACE.errors), ...Object.keys(SURFACE.classes)]
  assert.deepEqual(Object.keys(cw).sort(), all.sort())
})

test('index.d.ts declares the whole surface', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const fns = [...dts.matchAll(/^export function (\w+)/gm)].map((m) => m[1])
  const classes = [...dts.matchAll(/^export class (\w+)/gm)].map((m) => m[1])
  assert.deepEqual(fns.sort(), SURFACE.functions.map(camel).sort())
  assert.deepEqual(classes.sort(), [...Object.keys(SURFACE.errors), ...Object.keys(SURFACE.classes)].sort())
  for (const [name, spec] of Object.entries(SURFACE.classes)) {
    const body = dts.slice(dts.indexOf(`export class ${name} {`)).split('\n}\n')[0]
    for (const m of [...spec.properties, ...spec.methods].map(camel)) {
      assert.match(body, new RegExp(`^  (readonly )?${m}[(:]`, 'm'), `${name}.${m} in index.d.ts`)
    }
  }
})
