// The shipping address an order is delivered to, with no Fastify and no SDK: its limits, the checks
// the route schema cannot make (an assigned country code, the postal code's format where it is well
// known), the snapshot the order keeps, and what each partner may see of it.
import { Problem, type ProblemCode } from '../core/problem.js'

export interface ShippingAddress {
  /** The recipient, as the courier's label shows it (any script). */
  name: string
  line1: string
  line2?: string
  city: string
  /** State, province or prefecture, where the country uses one. */
  region?: string
  postalCode?: string
  /** ISO 3166-1 alpha-2, upper case. */
  country: string
  /** E.164: `+`, the country calling code, the number; no spaces. For the courier. */
  phone: string
}

/** What the warehouse sees of the address: enough for its labels and customs papers. */
export interface Recipient { name: string; country: string }

/** Longest value of each field, in characters (Unicode code points, as the schema counts them). */
export const ADDRESS_LIMITS = { name: 100, line: 100, city: 64, region: 64, postalCode: 16, phone: 16 } as const

export const COUNTRY_PATTERN = '^[A-Z]{2}$'
/** E.164: at most 15 digits after the `+`; no national number is shorter than 7 with its country code. */
export const E164_PATTERN = '^\\+[1-9][0-9]{6,14}$'
export const POSTAL_CODE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9 -]*$'
/**
 * Free text: no control characters and no line or paragraph separators, so no value can break a
 * mail header, a label line or a log line.
 */
export const TEXT_PATTERN = '^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]*$'

// ISO 3166-1 alpha-2: the 249 officially assigned codes.
const COUNTRIES = new Set((
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT ' +
  'BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ' +
  'ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT ' +
  'HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS ' +
  'LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI ' +
  'NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG ' +
  'SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
  'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' '))

export const isCountryCode = (code: string): boolean => COUNTRIES.has(code)

/**
 * Postal codes of the countries whose format is well known and stable (the national posts'
 * published formats), upper case, one optional space where the post prints one. A country listed
 * here needs a postal code; elsewhere it is optional and checked only for its characters.
 */
export const POSTAL_CODE_FORMATS: Readonly<Record<string, RegExp>> = {
  US: /^\d{5}(-\d{4})?$/,
  CA: /^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$/,
  GB: /^(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})$/,
  DE: /^\d{5}$/,
  FR: /^\d{5}$/,
  IT: /^\d{5}$/,
  ES: /^\d{5}$/,
  NL: /^[1-9]\d{3} ?[A-Z]{2}$/,
  BE: /^\d{4}$/,
  AT: /^\d{4}$/,
  CH: /^\d{4}$/,
  DK: /^\d{4}$/,
  NO: /^\d{4}$/,
  SE: /^\d{3} ?\d{2}$/,
  FI: /^\d{5}$/,
  PL: /^\d{2}-\d{3}$/,
  PT: /^\d{4}-\d{3}$/,
  JP: /^\d{3}-?\d{4}$/,
  AU: /^\d{4}$/,
  NZ: /^\d{4}$/,
  IN: /^[1-9]\d{5}$/,
  BR: /^\d{5}-?\d{3}$/,
  MX: /^\d{5}$/,
  CN: /^\d{6}$/,
  KR: /^\d{5}$/
}

const TEXT = new RegExp(TEXT_PATTERN, 'u')
const E164 = new RegExp(E164_PATTERN)
const POSTAL = new RegExp(POSTAL_CODE_PATTERN)

const refuse = (code: ProblemCode, field: string, message: string): never => {
  const path = field === '' ? 'body.shippingAddress' : `body.shippingAddress.${field}`
  throw new Problem(400, code, `${path} ${message}`, { errors: [{ path, message }] })
}

/** Trimmed, NFC, within `max` code points, no control characters; `required` refuses an empty value. */
function text (value: unknown, field: string, max: number, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined
  if (typeof value !== 'string') return refuse('validation_failed', field, 'must be a string')
  const v = value.normalize('NFC').trim()
  if (!TEXT.test(v)) return refuse('validation_failed', field, 'must not contain control characters or line breaks')
  if ([...v].length > max) return refuse('validation_failed', field, `must be at most ${max} characters`)
  if (v === '') return required ? refuse('validation_failed', field, 'must not be blank') : undefined
  return v
}

const FIELDS = new Set(['name', 'line1', 'line2', 'city', 'region', 'postalCode', 'country', 'phone'])

/**
 * The address as the order keeps it: every value trimmed and in Unicode NFC, the postal code in
 * upper case, empty optional fields left out, nothing but the known fields. The route schema checks
 * shape and lengths first; this checks again (safe on its own) and adds what a schema cannot:
 * `invalid_country` for a code that is not assigned, `invalid_postal_code` for a postal code
 * missing or malformed where the country's format is well known, `invalid_phone` for a number that
 * is not E.164.
 */
export function checkShippingAddress (input: unknown): ShippingAddress {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return refuse('validation_failed', '', 'must be an object')
  }
  const a = input as Record<string, unknown>
  const unknown = Object.keys(a).find((k) => !FIELDS.has(k))
  if (unknown !== undefined) refuse('validation_failed', unknown, 'is not an allowed property')
  const name = text(a.name, 'name', ADDRESS_LIMITS.name, true) as string
  const line1 = text(a.line1, 'line1', ADDRESS_LIMITS.line, true) as string
  const line2 = text(a.line2, 'line2', ADDRESS_LIMITS.line, false)
  const city = text(a.city, 'city', ADDRESS_LIMITS.city, true) as string
  const region = text(a.region, 'region', ADDRESS_LIMITS.region, false)

  const country = typeof a.country === 'string' ? a.country : ''
  if (!isCountryCode(country)) {
    refuse('invalid_country', 'country',
      `must be an ISO 3166-1 alpha-2 country code in upper case, such as US or DE (got ${JSON.stringify(a.country)})`)
  }
  const phone = typeof a.phone === 'string' ? a.phone : ''
  if (!E164.test(phone)) {
    refuse('invalid_phone', 'phone', 'must be an E.164 number: + and 7 to 15 digits, no spaces (e.g. +14155550123)')
  }

  let postalCode: string | undefined
  if (a.postalCode !== undefined) {
    if (typeof a.postalCode !== 'string') refuse('invalid_postal_code', 'postalCode', 'must be a string')
    postalCode = (a.postalCode as string).trim().toUpperCase()
    if (postalCode.length > ADDRESS_LIMITS.postalCode || (postalCode !== '' && !POSTAL.test(postalCode))) {
      refuse('invalid_postal_code', 'postalCode',
        `must be letters, digits, spaces and hyphens, at most ${ADDRESS_LIMITS.postalCode}`)
    }
    if (postalCode === '') postalCode = undefined
  }
  const format = POSTAL_CODE_FORMATS[country]
  if (format !== undefined) {
    if (postalCode === undefined) refuse('invalid_postal_code', 'postalCode', `is required for ${country}`)
    else if (!format.test(postalCode)) {
      refuse('invalid_postal_code', 'postalCode', `${JSON.stringify(postalCode)} is not a postal code of ${country}`)
    }
  }
  return {
    name,
    line1,
    ...(line2 === undefined ? {} : { line2 }),
    city,
    ...(region === undefined ? {} : { region }),
    ...(postalCode === undefined ? {} : { postalCode }),
    country,
    phone
  }
}

/** A stored address, copied field by field: whatever else a record holds never leaves. */
export function copyAddress (a: ShippingAddress): ShippingAddress {
  return {
    name: a.name,
    line1: a.line1,
    ...(a.line2 === undefined ? {} : { line2: a.line2 }),
    city: a.city,
    ...(a.region === undefined ? {} : { region: a.region }),
    ...(a.postalCode === undefined ? {} : { postalCode: a.postalCode }),
    country: a.country,
    phone: a.phone
  }
}

/** The warehouse's view: recipient and country; null for an order placed without an address. */
export const recipientOf = (a: ShippingAddress | undefined): Recipient | null =>
  a === undefined ? null : { name: a.name, country: a.country }

/** The delivery service's view: the whole address with the phone; null for an order without one. */
export const destinationOf = (a: ShippingAddress | undefined): ShippingAddress | null =>
  a === undefined ? null : copyAddress(a)

/** The address as the lines of a label or an email (text, not HTML: escape it for HTML). */
export function addressLines (a: ShippingAddress): string[] {
  const cityLine = [a.postalCode, a.city, a.region].filter((v) => v !== undefined && v !== '').join(' ')
  return [a.name, a.line1, ...(a.line2 === undefined ? [] : [a.line2]), cityLine, a.country]
}
