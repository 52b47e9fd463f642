// The sample catalog: 48 items across phones, computers and accessories, with stable ids so a
// second seed replaces rather than duplicates. Used by `npm run seed` and by `npm start` (which
// seeds only an empty table). Written through the items repository, so the catalog index (search
// words, category counters) is written with each item.
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { toStoredItem, validateItemInput, type Color, type ItemInput, type StoredItem } from '../domain/catalog.js'
import { createItemsRepository, type ItemsTables } from './items-repository.js'

const c = (colorCode: string, displayValue: string): Color => ({ colorCode, displayValue })
const BLACK = c('#1C1C1E', 'Black')
const WHITE = c('#F5F5F7', 'White')
const SILVER = c('#C0C0C0', 'Silver')
const GRAY = c('#5E5E60', 'Space Gray')
const BLUE = c('#2E4A7D', 'Blue')
const GREEN = c('#3C5A47', 'Green')

type Row = [category: string, type: string, brand: string, title: string, description: string,
  storage: string | undefined, colors: Color[], priceCents: number, stock: number]

const ROWS: Row[] = [
  [
    'phone',
    'smart',
    'Apple',
    'iPhone 15 Pro',
    '6.1-inch Super Retina XDR display, A17 Pro chip, titanium design.',
    '256GB',
    [c('#1F2020', 'Black Titanium'), c('#E3E4DF', 'White Titanium'), c('#8A8D8F', 'Natural Titanium')],
    109900,
    25
  ],
  [
    'phone',
    'smart',
    'Apple',
    'iPhone 15',
    '6.1-inch display, Dynamic Island, 48MP main camera, USB-C.',
    '128GB',
    [BLACK, BLUE, c('#F9E4E8', 'Pink')],
    79900,
    40
  ],
  [
    'phone',
    'smart',
    'Apple',
    'iPhone SE',
    '4.7-inch Retina HD display, A15 Bionic chip, Touch ID.',
    '64GB',
    [BLACK, WHITE, c('#BF0013', 'Red')],
    42900,
    0
  ],
  [
    'phone',
    'smart',
    'Samsung',
    'Galaxy S24 Ultra',
    '6.8-inch QHD+ display, built-in S Pen, 200MP camera.',
    '512GB',
    [c('#2B2B2B', 'Titanium Black'), c('#8E8C87', 'Titanium Gray')],
    141999,
    12
  ],
  [
    'phone',
    'smart',
    'Samsung',
    'Galaxy S24',
    '6.2-inch FHD+ display, Galaxy AI, 50MP camera.',
    '256GB',
    [c('#1E1E1E', 'Onyx Black'), c('#C9B9E3', 'Cobalt Violet')],
    85999,
    30
  ],
  [
    'phone',
    'smart',
    'Samsung',
    'Galaxy A55',
    '6.6-inch Super AMOLED display, IP67, long battery life.',
    '128GB',
    [c('#1B2A4A', 'Awesome Navy'), c('#D0E4F7', 'Awesome Iceblue')],
    44999,
    55
  ],
  [
    'phone',
    'smart',
    'Google',
    'Pixel 8 Pro',
    '6.7-inch Super Actua display, Tensor G3, pro camera controls.',
    '256GB',
    [c('#202124', 'Obsidian'), c('#C5D8E8', 'Bay')],
    99900,
    18
  ],
  [
    'phone',
    'smart',
    'Google',
    'Pixel 8a',
    '6.1-inch Actua display, Tensor G3, seven years of updates.',
    '128GB',
    [c('#202124', 'Obsidian'), c('#C5E1C1', 'Aloe')],
    49900,
    35
  ],
  [
    'phone',
    'smart',
    'OnePlus',
    'OnePlus 12',
    '6.82-inch 120Hz display, Snapdragon 8 Gen 3, 80W charging.',
    '256GB',
    [c('#3A5A40', 'Flowy Emerald'), c('#2B2B2B', 'Silky Black')],
    79999,
    20
  ],
  [
    'phone',
    'smart',
    'Xiaomi',
    'Xiaomi 14',
    '6.36-inch display, Leica optics, 90W HyperCharge.',
    '512GB',
    [BLACK, GREEN, WHITE],
    89999,
    9
  ],
  [
    'phone',
    'smart',
    'Motorola',
    'Edge 50 Pro',
    '6.7-inch pOLED curved display, 125W TurboPower charging.',
    '256GB',
    [c('#2F2A4A', 'Black Beauty'), c('#B8A9D9', 'Luxe Lavender')],
    59999,
    14
  ],
  [
    'phone',
    'smart',
    'Sony',
    'Xperia 10 VI',
    '6.1-inch OLED display, 5000mAh battery, headphone jack.',
    '128GB',
    [BLACK, WHITE, BLUE],
    39999,
    7
  ],
  [
    'phone',
    'feature',
    'Nokia',
    '3310 4G',
    'The classic reborn: Snake, long battery life, 4G calling.',
    undefined,
    [c('#1A2A6C', 'Dark Blue'), c('#F6D12F', 'Yellow')],
    6999,
    60
  ],
  [
    'phone',
    'feature',
    'Nokia',
    '225 4G',
    'Compact feature phone with 4G calls, FM radio and torch.',
    undefined,
    [BLACK, BLUE],
    4999,
    45
  ],
  [
    'phone',
    'feature',
    'Alcatel',
    'Go Flip 4',
    'Flip phone with large buttons, 4G LTE and hotspot.',
    undefined,
    [c('#3B3B3B', 'Volcano Black')],
    7999,
    0
  ],
  [
    'phone',
    'feature',
    'Doro',
    '6820',
    'Easy-to-use flip phone with assistance button and clear sound.',
    undefined,
    [c('#7B1E2B', 'Wine Red'), GRAY],
    11999,
    16
  ],
  [
    'phone',
    'rugged',
    'CAT',
    'S75',
    'Rugged phone with two-way satellite messaging, IP68 and MIL-SPEC 810H.',
    '128GB',
    [BLACK],
    59900,
    8
  ],
  [
    'phone',
    'rugged',
    'Ulefone',
    'Armor 24',
    'Rugged phone with a 22000mAh battery and built-in camping light.',
    '256GB',
    [BLACK, c('#F39C12', 'Orange')],
    39999,
    5
  ],
  [
    'computer',
    'laptop',
    'Apple',
    'MacBook Air 13 M3',
    'Fanless 13.6-inch Liquid Retina laptop with the M3 chip.',
    '256GB',
    [c('#2E3642', 'Midnight'), c('#F0E4D3', 'Starlight'), SILVER, GRAY],
    109900,
    22
  ],
  [
    'computer',
    'laptop',
    'Apple',
    'MacBook Pro 14 M3 Pro',
    '14.2-inch Liquid Retina XDR display, M3 Pro chip, 18GB memory.',
    '512GB',
    [c('#2E2E30', 'Space Black'), SILVER],
    199900,
    10
  ],
  [
    'computer',
    'laptop',
    'Dell',
    'XPS 13',
    '13.4-inch InfinityEdge display, Intel Core Ultra 7, 16GB RAM.',
    '512GB',
    [c('#3B3F4A', 'Graphite'), c('#E8E8E8', 'Platinum')],
    129999,
    11
  ],
  [
    'computer',
    'laptop',
    'Dell',
    'Latitude 7440',
    'Business laptop with 14-inch display, vPro and smart card reader.',
    '512GB',
    [GRAY],
    149999,
    6
  ],
  [
    'computer',
    'laptop',
    'Lenovo',
    'ThinkPad X1 Carbon Gen 12',
    'Ultralight 14-inch business laptop, carbon fibre chassis.',
    '1TB',
    [c('#1A1A1A', 'Deep Black')],
    189999,
    9
  ],
  [
    'computer',
    'laptop',
    'Lenovo',
    'IdeaPad Slim 5',
    '16-inch WUXGA laptop with AMD Ryzen 7 and all-day battery.',
    '512GB',
    [c('#4A4F57', 'Cloud Grey'), c('#7FA7C9', 'Abyss Blue')],
    69999,
    28
  ],
  [
    'computer',
    'laptop',
    'HP',
    'Spectre x360 14',
    '2-in-1 convertible with 2.8K OLED touch display and pen.',
    '1TB',
    [c('#2F3540', 'Nightfall Black'), c('#3E5C76', 'Slate Blue')],
    164999,
    4
  ],
  [
    'computer',
    'laptop',
    'ASUS',
    'Zenbook 14 OLED',
    '14-inch 3K OLED display, Intel Core Ultra 5, 1.2 kg.',
    '512GB',
    [c('#2B3A55', 'Ponder Blue'), c('#D9D9D9', 'Foggy Silver')],
    89999,
    15
  ],
  [
    'computer',
    'laptop',
    'Microsoft',
    'Surface Laptop 6',
    '13.5-inch PixelSense touch display for business, Copilot key.',
    '256GB',
    [c('#2D2D2D', 'Black'), c('#D6D6D6', 'Platinum')],
    119999,
    0
  ],
  [
    'computer',
    'desktop',
    'Apple',
    'Mac mini M2',
    'Compact desktop with the M2 chip, Wi-Fi 6E and HDMI.',
    '256GB',
    [SILVER],
    59900,
    19
  ],
  [
    'computer',
    'desktop',
    'Apple',
    'iMac 24 M3',
    '24-inch 4.5K Retina all-in-one with the M3 chip.',
    '256GB',
    [BLUE, GREEN, c('#E8A0A9', 'Pink'), SILVER],
    129900,
    8
  ],
  [
    'computer',
    'desktop',
    'Dell',
    'OptiPlex 7010 Tower',
    'Business tower with Intel Core i7, 16GB RAM, easy servicing.',
    '512GB',
    [BLACK],
    109999,
    13
  ],
  [
    'computer',
    'desktop',
    'HP',
    'Pavilion Desktop TP01',
    'Home desktop with AMD Ryzen 5, 16GB RAM and Wi-Fi 6.',
    '512GB',
    [c('#1F2A44', 'Shadow Black')],
    64999,
    17
  ],
  [
    'computer',
    'desktop',
    'Lenovo',
    'ThinkCentre M70q Tiny',
    'One-litre business desktop that mounts behind a monitor.',
    '256GB',
    [BLACK],
    74999,
    21
  ],
  [
    'computer',
    'tablet',
    'Apple',
    'iPad Air 11 M2',
    '11-inch Liquid Retina display with the M2 chip and Apple Pencil Pro support.',
    '128GB',
    [BLUE, c('#B9A7D3', 'Purple'), c('#F0E4D3', 'Starlight'), GRAY],
    59900,
    24
  ],
  [
    'computer',
    'tablet',
    'Samsung',
    'Galaxy Tab S9',
    '11-inch Dynamic AMOLED 2X tablet with S Pen included, IP68.',
    '128GB',
    [c('#3A3A3A', 'Graphite'), c('#E6DCCB', 'Beige')],
    79999,
    10
  ],
  [
    'accessories',
    'charger',
    'Anker',
    '737 GaN Charger 120W',
    'Three-port USB-C and USB-A wall charger that powers a laptop and phone.',
    undefined,
    [BLACK],
    8999,
    80
  ],
  [
    'accessories',
    'charger',
    'Apple',
    '20W USB-C Power Adapter',
    'Fast charging for iPhone and iPad.',
    undefined,
    [WHITE],
    1900,
    150
  ],
  [
    'accessories',
    'charger',
    'Belkin',
    'BoostCharge Pro 3-in-1',
    'MagSafe wireless stand for phone, watch and earbuds.',
    undefined,
    [BLACK, WHITE],
    14999,
    27
  ],
  [
    'accessories',
    'headphones',
    'Sony',
    'WH-1000XM5',
    'Wireless over-ear headphones with industry-leading noise cancelling.',
    undefined,
    [BLACK, SILVER, c('#1E2A44', 'Midnight Blue')],
    39999,
    33
  ],
  [
    'accessories',
    'headphones',
    'Apple',
    'AirPods Pro 2',
    'In-ear buds with active noise cancellation and a USB-C MagSafe case.',
    undefined,
    [WHITE],
    24900,
    65
  ],
  [
    'accessories',
    'headphones',
    'Bose',
    'QuietComfort Ultra Headphones',
    'Immersive audio and world-class noise cancelling.',
    undefined,
    [BLACK, c('#EFE7DA', 'White Smoke')],
    42900,
    0
  ],
  [
    'accessories',
    'case',
    'Spigen',
    'Ultra Hybrid for iPhone 15 Pro',
    'Clear shock-absorbing case with raised bezels, MagSafe compatible.',
    undefined,
    [c('#FFFFFF00', 'Crystal Clear'), c('#2B2B2B', 'Matte Black')],
    1999,
    120
  ],
  [
    'accessories',
    'case',
    'OtterBox',
    'Defender for Galaxy S24',
    'Multi-layer rugged case with holster and port covers.',
    undefined,
    [BLACK, BLUE],
    5499,
    38
  ],
  [
    'accessories',
    'keyboard',
    'Logitech',
    'MX Keys S',
    'Wireless illuminated keyboard for Windows and macOS, three devices.',
    undefined,
    [c('#3C3C3C', 'Graphite'), c('#D8D8D8', 'Pale Grey')],
    10999,
    42
  ],
  [
    'accessories',
    'keyboard',
    'Apple',
    'Magic Keyboard with Touch ID',
    'Wireless keyboard with Touch ID for Mac with Apple silicon.',
    undefined,
    [WHITE, BLACK],
    14900,
    26
  ],
  [
    'accessories',
    'mouse',
    'Logitech',
    'MX Master 3S',
    'Quiet-click wireless mouse with an 8K DPI sensor and MagSpeed wheel.',
    undefined,
    [c('#3C3C3C', 'Graphite'), c('#D8D8D8', 'Pale Grey')],
    9999,
    48
  ],
  [
    'accessories',
    'mouse',
    'Razer',
    'DeathAdder V3 Pro',
    'Ultra-light wireless esports mouse, 63 g, 30K optical sensor.',
    undefined,
    [BLACK, WHITE],
    14999,
    3
  ],
  [
    'accessories',
    'cable',
    'Anker',
    'USB-C to USB-C Cable 2m',
    'Braided 240W cable for charging laptops and phones.',
    undefined,
    [BLACK, WHITE],
    1599,
    200
  ],
  [
    'accessories',
    'monitor',
    'Dell',
    'UltraSharp U2724D',
    '27-inch QHD IPS Black monitor with USB-C hub.',
    undefined,
    [SILVER],
    47999,
    12
  ]
]

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')

export interface SampleItem { id: string; input: ItemInput; stock: number }

/** The sample items as an admin would send them; every one passes the same checks as POST /items. */
export function sampleInputs (): SampleItem[] {
  return ROWS.map(([category, type, brand, title, description, storage, colors, price, stock]) => {
    const input: ItemInput = {
      category,
      type,
      brand,
      title,
      description,
      colorPreference: colors,
      price,
      currency: 'USD'
    }
    if (storage !== undefined) input.storage = storage
    validateItemInput(input)
    return { id: slug(`${category}-${brand}-${title}`).slice(0, 64), input, stock }
  })
}

/** The sample items as they are stored. */
export function sampleCatalog (now: string = new Date().toISOString()): StoredItem[] {
  return sampleInputs().map(({ id, input, stock }) => toStoredItem(id, input, stock, now, now))
}

const PARALLEL = 4

/**
 * Writes the sample catalog (an item that exists is replaced and keeps its stock); with
 * onlyIfEmpty, only into a table with no items. Returns how many were written.
 */
export async function seedCatalog (
  ddb: DynamoDBDocumentClient,
  tables: ItemsTables,
  opts: { onlyIfEmpty?: boolean } = {}
): Promise<number> {
  if (opts.onlyIfEmpty === true) {
    const probe = await ddb.send(new ScanCommand({ TableName: tables.items, Limit: 1, ProjectionExpression: 'id' }))
    if ((probe.Items?.length ?? 0) > 0 || probe.LastEvaluatedKey !== undefined) return 0
  }
  const repo = createItemsRepository(ddb, tables)
  const items = sampleInputs()
  const now = new Date().toISOString()
  let next = 0
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < items.length) {
      const { id, input, stock } = items[next++] as SampleItem
      await repo.put(id, input, stock, now)
    }
  }))
  return items.length
}
