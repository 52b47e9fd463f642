import t from 'tap'
import { escapeHtml, formatMoney, renderOrderEmail } from '../../domain/emails.js'
import { order } from '../helpers/worker-fixtures.js'

t.test('money is formatted from minor units with the currency', async (t) => {
  t.equal(formatMoney(129999, 'USD'), '$1,299.99')
  t.equal(formatMoney(5000, 'JPY'), '¥5,000', 'no minor unit')
  t.equal(formatMoney(1234, 'EUR'), '€12.34')
  t.match(formatMoney(1234, 'XXZ'), /^XXZ\s12\.34$/, 'a code Intl does not know')
  t.equal(formatMoney(1234, 'bad!'), '12.34 bad!', 'a malformed code still renders')
})

t.test('each status has its subject with the order number', async (t) => {
  const o = order()
  t.equal(renderOrderEmail('placed', o).subject, 'Order placed — #ord-1')
  t.equal(renderOrderEmail('packed', o).subject, 'Order packed — #ord-1')
  t.equal(renderOrderEmail('delivered', o).subject, 'Order delivered — #ord-1')
  t.equal(renderOrderEmail('cancelled', o).subject, 'Order cancelled — #ord-1')
})

t.test('the email lists every line and the total; catalog strings are escaped in the HTML', async (t) => {
  const o = order({
    lines: [{
      id: 'i',
      title: '<script>alert(1)</script> "Pro" & Co\'s',
      color: '<img src=x onerror=alert(1)>',
      count: 3,
      unitPrice: 1000
    }],
    total: 3000,
    id: 'o<1>'
  })
  const { html, text } = renderOrderEmail('placed', o)
  t.notMatch(html, /<script>|<img/, 'no markup from the catalog')
  t.match(html, '&lt;script&gt;alert(1)&lt;/script&gt; &quot;Pro&quot; &amp; Co&#39;s')
  t.match(html, '&lt;img src=x onerror=alert(1)&gt;, × 3')
  t.match(html, '#o&lt;1&gt;')
  t.match(html, '$30.00')
  t.match(
    text,
    '- <script>alert(1)</script> "Pro" & Co\'s (<img src=x onerror=alert(1)>, × 3): $30.00',
    'the text part is plain text'
  )
  t.match(text, 'Total: $30.00')
})

t.test('the default order renders both lines and its total', async (t) => {
  const { html, text } = renderOrderEmail('delivered', order())
  t.match(text, 'Phone <b>X</b> (Midnight & Blue, × 2): $999.98')
  t.match(text, 'Case (× 1): $19.99')
  t.match(text, 'Total: $1,019.97')
  t.match(html, 'Phone &lt;b&gt;X&lt;/b&gt;')
  t.equal(escapeHtml('&<>"\''), '&amp;&lt;&gt;&quot;&#39;')
})
