// Drives a Binance USDⓈ-M compatible venue (the simulator) with the real ccxt `binanceusdm` client, the way a
// third-party trader would. One JSON line per step on stdout; exits 1 on the first failure, with the error.
// Usage: node conformance.mjs <restBaseUrl> <wsBaseUrl> <apiKey> <apiSecret> <ed25519ApiKey> <ed25519PrivateKeyPem>
import ccxt from 'ccxt';

const [restArg, wsArg, apiKey, secret, edKey, edSecret] = process.argv.slice(2);
if (!restArg || !wsArg || !apiKey || !secret || !edKey || !edSecret) {
    console.error('usage: node conformance.mjs <restBaseUrl> <wsBaseUrl> <apiKey> <apiSecret> <ed25519ApiKey> <ed25519PrivateKeyPem>');
    process.exit(2);
}
const rest = restArg.replace(/\/+$/, '');
const ws = wsArg.replace(/\/+$/, '');

// BINANCE_USDM.md §14: every REST family pointed at the venue (sapi/spot as safety nets so nothing leaks to the
// real exchange), no sapi currency calls in loadMarkets, linear markets only.
function client(key, sec) {
    return new ccxt.pro.binanceusdm({
        apiKey: key,
        secret: sec,
        enableRateLimit: false,
        timeout: 15000,
        urls: {
            api: {
                fapiPublic: rest + '/fapi/v1', fapiPublicV2: rest + '/fapi/v2', fapiPublicV3: rest + '/fapi/v3',
                fapiPrivate: rest + '/fapi/v1', fapiPrivateV2: rest + '/fapi/v2', fapiPrivateV3: rest + '/fapi/v3',
                fapiData: rest + '/futures/data', sapi: rest + '/sapi/v1', public: rest + '/api/v3', private: rest + '/api/v3',
                ws: { future: ws + '/ws', 'ws-api': { future: ws + '/ws-fapi/v1' } },
            },
        },
        options: {
            fetchCurrencies: false,
            fetchMarkets: { types: ['linear'] },
            watchPositions: { fetchPositionsSnapshot: false },
        },
    });
}

class CheckFailed extends Error {}
function check(condition, message) {
    if (!condition) {
        throw new CheckFailed(message);
    }
}

let current = '';
async function step(name, fn) {
    current = name;
    const started = Date.now();
    const detail = (await fn()) ?? {};
    console.log(JSON.stringify({ step: name, ok: true, ms: Date.now() - started, ...detail }));
}

// ccxt picks its per-market error table by URL (only https://fapi.binance.com/… counts as "linear"); against any
// other host it falls back to its generic table, so -4164 is InvalidOrder from the real venue but ExchangeError here.
// The venue's answer is therefore judged twice: the class ccxt raised live, and the class ccxt raises when the very same
// bytes come from fapi.binance.com (handleErrors replayed on the body). Both must match, and so must the code.
async function expectError(fn, code, liveCls, realCls = liveCls) {
    let r;
    try {
        r = await fn();
    } catch (e) {
        check(e instanceof liveCls, `expected ${liveCls.name}, got ${e.constructor.name}: ${e.message}`);
        const body = String(e.message).slice(ex.id.length + 1);
        let json;
        try {
            json = JSON.parse(body);
        } catch {
            throw new CheckFailed(`error body is not the venue's JSON: ${e.message}`);
        }
        check(json.code === code && typeof json.msg === 'string' && Object.keys(json).length === 2, `expected {"code":${code},"msg":…}, got ${body}`);
        let real;
        try {
            ex.handleErrors(400, 'Bad Request', 'https://fapi.binance.com/fapi/v1/order', 'POST', {}, body, json, {}, '');
        } catch (re) {
            real = re;
        }
        check(real instanceof realCls, `from fapi.binance.com ccxt would raise ${real?.constructor.name}, expected ${realCls.name}`);
        return { error: e.constructor.name, errorFromRealHost: real.constructor.name, body };
    }
    throw new CheckFailed(`expected ${liveCls.name}, the call succeeded: ${JSON.stringify(r).slice(0, 300)}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ex = client(apiKey, secret);
const BTC = 'BTC/USDT:USDT';
const ETH = 'ETH/USDT:USDT';

async function main() {
    await ex.loadHttpProxyAgent(); // ccxt pro needs this before it opens a plain ws:// URL

    let markets;
    await step('loadMarkets', async () => {
        markets = await ex.loadMarkets();
        for (const s of [BTC, ETH]) {
            const m = markets[s];
            check(m, `${s} missing from loadMarkets (${Object.keys(markets).length} markets)`);
            check(m.swap && m.linear && m.contract && m.settle === 'USDT' && m.active === true, `${s} not an active linear USDT swap`);
            check(m.id === s.split('/')[0] + 'USDT', `${s} id ${m.id}`);
            check(m.precision.price > 0 && m.precision.amount > 0, `${s} precision ${JSON.stringify(m.precision)}`);
            check(m.limits.amount.min > 0 && m.limits.amount.max > m.limits.amount.min, `${s} amount limits ${JSON.stringify(m.limits.amount)}`);
            check(m.limits.price.min > 0 && m.limits.price.max > m.limits.price.min, `${s} price limits ${JSON.stringify(m.limits.price)}`);
            check(m.limits.cost.min > 0, `${s} min notional ${JSON.stringify(m.limits.cost)}`);
            check(m.limits.market.min > 0, `${s} market lot ${JSON.stringify(m.limits.market)}`);
        }
        const b = markets[BTC];
        return { markets: Object.keys(markets).length, btc: { precision: b.precision, limits: b.limits } };
    });

    await step('fetchTime', async () => {
        const t = await ex.fetchTime();
        check(Number.isInteger(t) && Math.abs(t - Date.now()) < 60_000, `server time ${t} vs local ${Date.now()}`);
        return { serverTime: t };
    });

    let ticker;
    await step('fetchTicker', async () => {
        ticker = await ex.fetchTicker(BTC);
        check(ticker.symbol === BTC, `ticker symbol ${ticker.symbol}`);
        check(ticker.last > 0 && ticker.high >= ticker.low && ticker.low > 0, `ticker ${JSON.stringify(ticker)}`);
        check(ticker.timestamp > 0 && ticker.baseVolume >= 0 && ticker.quoteVolume >= 0, `ticker volume/timestamp ${JSON.stringify(ticker)}`);
        return { last: ticker.last, high: ticker.high, low: ticker.low };
    });

    let book;
    await step('fetchOrderBook', async () => {
        book = await ex.fetchOrderBook(BTC, 20);
        check(book.bids.length > 0 && book.asks.length > 0 && book.bids.length <= 20 && book.asks.length <= 20, `book sizes ${book.bids.length}/${book.asks.length}`);
        check(book.bids[0][0] < book.asks[0][0], `crossed book ${book.bids[0][0]} ${book.asks[0][0]}`);
        for (let i = 1; i < book.bids.length; i++) check(book.bids[i][0] < book.bids[i - 1][0], 'bids not descending');
        for (let i = 1; i < book.asks.length; i++) check(book.asks[i][0] > book.asks[i - 1][0], 'asks not ascending');
        check(book.nonce > 0 && book.timestamp > 0, `book nonce/timestamp ${book.nonce} ${book.timestamp}`);
        return { bid: book.bids[0], ask: book.asks[0], nonce: book.nonce };
    });

    await step('fetchOHLCV', async () => {
        const rows = await ex.fetchOHLCV(BTC, '1m', undefined, 50);
        check(rows.length > 0 && rows.length <= 50, `klines rows ${rows.length}`);
        for (const [t, o, h, l, c, v] of rows) {
            check(t % 60_000 === 0 && h >= Math.max(o, c) && l <= Math.min(o, c) && l > 0 && v >= 0, `bad kline ${[t, o, h, l, c, v]}`);
        }
        for (let i = 1; i < rows.length; i++) check(rows[i][0] - rows[i - 1][0] === 60_000, 'klines not consecutive minutes');
        return { rows: rows.length, last: rows[rows.length - 1] };
    });

    let usdtStart;
    await step('fetchBalance', async () => {
        const bal = await ex.fetchBalance();
        check(bal.USDT && bal.USDT.total > 0 && bal.USDT.free > 0, `USDT balance ${JSON.stringify(bal.USDT)}`);
        usdtStart = bal.USDT.total;
        return { USDT: bal.USDT };
    });

    await step('setLeverage', async () => {
        const r = await ex.setLeverage(10, BTC);
        check(Number(r.leverage) === 10 && r.symbol === 'BTCUSDT', `leverage answer ${JSON.stringify(r)}`);
        return { leverage: r.leverage, maxNotionalValue: r.maxNotionalValue };
    });

    const m = markets[BTC];
    const qty = m.limits.amount.min * 2 > 0.002 ? m.limits.amount.min * 2 : 0.002;
    let limitOrder;
    await step('createOrder LIMIT', async () => {
        const price = Number(ex.priceToPrecision(BTC, book.bids[0][0] * 0.9)); // far below the market: rests
        const amount = Number(ex.amountToPrecision(BTC, Math.max(qty, (m.limits.cost.min * 1.5) / price)));
        limitOrder = await ex.createOrder(BTC, 'limit', 'buy', amount, price);
        check(limitOrder.id && limitOrder.status === 'open' && limitOrder.type === 'limit' && limitOrder.side === 'buy', `limit order ${JSON.stringify(limitOrder.info)}`);
        check(limitOrder.price === price && limitOrder.amount === amount && limitOrder.filled === 0, `limit order numbers ${JSON.stringify(limitOrder.info)}`);
        check(limitOrder.clientOrderId && limitOrder.clientOrderId.startsWith('x-'), `clientOrderId ${limitOrder.clientOrderId}`);
        return { id: limitOrder.id, clientOrderId: limitOrder.clientOrderId, price, amount };
    });

    await step('fetchOrder', async () => {
        const o = await ex.fetchOrder(limitOrder.id, BTC);
        check(o.id === limitOrder.id && o.status === 'open' && o.price === limitOrder.price && o.amount === limitOrder.amount, `fetched ${JSON.stringify(o.info)}`);
        check(o.clientOrderId === limitOrder.clientOrderId && o.timeInForce === 'GTC' && o.timestamp > 0, `fetched fields ${JSON.stringify(o.info)}`);
        return { id: o.id, status: o.status };
    });

    await step('fetchOpenOrders', async () => {
        const open = await ex.fetchOpenOrders(BTC);
        check(open.some((o) => o.id === limitOrder.id && o.status === 'open'), `open orders ${JSON.stringify(open.map((o) => o.id))}`);
        return { count: open.length };
    });

    await step('cancelOrder', async () => {
        const c = await ex.cancelOrder(limitOrder.id, BTC);
        check(c.id === limitOrder.id && c.status === 'canceled', `cancel ${JSON.stringify(c.info)}`);
        const after = await ex.fetchOpenOrders(BTC);
        check(!after.some((o) => o.id === limitOrder.id), 'canceled order still open');
        const again = await ex.fetchOrder(limitOrder.id, BTC);
        check(again.status === 'canceled', `refetched status ${again.status}`);
        return { id: c.id, status: c.status };
    });

    let marketOrder;
    const mktQty = Number(ex.amountToPrecision(BTC, Math.max(qty, (m.limits.cost.min * 1.5) / book.asks[0][0])));
    await step('createOrder MARKET', async () => {
        marketOrder = await ex.createOrder(BTC, 'market', 'buy', mktQty);
        check(marketOrder.status === 'closed' && marketOrder.filled === mktQty && marketOrder.remaining === 0, `market order ${JSON.stringify(marketOrder.info)}`);
        check(marketOrder.average > 0 && marketOrder.cost > 0, `market order average/cost ${JSON.stringify(marketOrder.info)}`);
        return { id: marketOrder.id, filled: marketOrder.filled, average: marketOrder.average };
    });

    await step('fetchPositions', async () => {
        const positions = await ex.fetchPositions([BTC]);
        const p = positions.find((x) => x.symbol === BTC);
        check(p, `no BTC position among ${JSON.stringify(positions.map((x) => x.symbol))}`);
        check(p.side === 'long' && p.contracts === mktQty && p.entryPrice > 0 && p.markPrice > 0, `position ${JSON.stringify(p.info)}`);
        // v3 positionRisk carries no leverage field (it moved to symbolConfig); the 10x shows as initial margin = notional / 10
        check(Math.abs(p.initialMarginPercentage - 0.1) < 1e-6 && p.marginMode === 'cross' && p.notional > 0, `position margin ${JSON.stringify(p)}`);
        return { side: p.side, contracts: p.contracts, entryPrice: p.entryPrice, unrealizedPnl: p.unrealizedPnl, initialMarginPercentage: p.initialMarginPercentage };
    });

    let closeOrder;
    await step('createOrder MARKET reduceOnly', async () => {
        closeOrder = await ex.createOrder(BTC, 'market', 'sell', mktQty, undefined, { reduceOnly: true });
        check(closeOrder.status === 'closed' && closeOrder.filled === mktQty && closeOrder.reduceOnly === true, `close ${JSON.stringify(closeOrder.info)}`);
        const positions = await ex.fetchPositions([BTC]);
        check(!positions.some((x) => x.symbol === BTC && x.contracts > 0), `position left open ${JSON.stringify(positions)}`);
        return { id: closeOrder.id, filled: closeOrder.filled, average: closeOrder.average };
    });

    await step('fetchMyTrades', async () => {
        const trades = await ex.fetchMyTrades(BTC);
        const mine = trades.filter((t) => t.order === marketOrder.id || t.order === closeOrder.id);
        check(mine.length >= 2, `trades for the two market orders: ${mine.length} of ${trades.length}`);
        const bought = mine.filter((t) => t.side === 'buy').reduce((s, t) => s + t.amount, 0);
        const sold = mine.filter((t) => t.side === 'sell').reduce((s, t) => s + t.amount, 0);
        check(Math.abs(bought - mktQty) < 1e-9 && Math.abs(sold - mktQty) < 1e-9, `traded ${bought}/${sold} vs ${mktQty}`);
        for (const t of mine) {
            check(t.price > 0 && t.fee && t.fee.cost > 0 && t.fee.currency === 'USDT' && t.takerOrMaker === 'taker', `trade ${JSON.stringify(t.info)}`);
        }
        return { trades: mine.length, fees: mine.reduce((s, t) => s + t.fee.cost, 0) };
    });

    await step('fetchBalance after', async () => {
        const bal = await ex.fetchBalance();
        check(bal.USDT.total !== usdtStart, `wallet unchanged after two fills with fees (${usdtStart})`);
        return { USDT: bal.USDT, change: bal.USDT.total - usdtStart };
    });

    await step('AuthenticationError', async () => {
        const bad = client(apiKey, secret.slice(0, -1) + (secret.endsWith('0') ? '1' : '0'));
        bad.markets = ex.markets;
        bad.markets_by_id = ex.markets_by_id;
        const r = await expectError(() => bad.fetchBalance(), -1022, ccxt.AuthenticationError);
        await bad.close();
        return r;
    });

    // Filter violations: ccxt maps -4164 (MIN_NOTIONAL) to InvalidOrder and the linear -4014/-4004 codes to BadRequest;
    // each step checks both the class and the venue's code so a wrong code cannot pass as "some error".
    await step('InvalidOrder MIN_NOTIONAL', async () => {
        const price = Number(ex.priceToPrecision(BTC, book.bids[0][0] * 0.9));
        return expectError(() => ex.createOrder(BTC, 'limit', 'buy', m.limits.amount.min, price), -4164, ccxt.ExchangeError, ccxt.InvalidOrder);
    });

    await step('BadRequest PRICE_FILTER tick', async () => {
        // a price off the tick grid within pricePrecision, sent raw (ccxt's createOrder would round it)
        const price = (Math.round(book.bids[0][0] * 0.9 / m.precision.price) * m.precision.price).toFixed(1) + '5';
        const r = await expectError(() => ex.fapiPrivatePostOrder({
            symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: ex.amountToPrecision(BTC, mktQty), price,
        }), -4014, ccxt.BadRequest);
        return { price, ...r };
    });

    await step('BadRequest LOT_SIZE min', async () => {
        return expectError(() => ex.fapiPrivatePostOrder({
            symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0', price: ex.priceToPrecision(BTC, book.bids[0][0] * 0.9),
        }), -4003, ccxt.BadRequest);
    });

    // The WebSocket API (ws-fapi/v1) through ccxt's own order methods: params sorted and signed by ccxt, answers parsed
    // by ccxt's handleOrderWs, errors by its handleWsError.
    let wsOrder;
    await step('createOrderWs LIMIT', async () => {
        const price = Number(ex.priceToPrecision(BTC, book.bids[0][0] * 0.9));
        const amount = Number(ex.amountToPrecision(BTC, Math.max(qty, (m.limits.cost.min * 1.5) / price)));
        wsOrder = await ex.createOrderWs(BTC, 'limit', 'buy', amount, price);
        check(wsOrder.id && wsOrder.status === 'open' && wsOrder.type === 'limit' && wsOrder.price === price && wsOrder.amount === amount, `ws limit order ${JSON.stringify(wsOrder.info)}`);
        check(wsOrder.clientOrderId && wsOrder.clientOrderId.startsWith('x-'), `ws clientOrderId ${wsOrder.clientOrderId}`);
        const rest = await ex.fetchOrder(wsOrder.id, BTC);
        check(rest.status === 'open' && rest.clientOrderId === wsOrder.clientOrderId, `REST sees ${JSON.stringify(rest.info)}`);
        return { id: wsOrder.id, clientOrderId: wsOrder.clientOrderId, price, amount };
    });

    await step('cancelOrderWs', async () => {
        const c = await ex.cancelOrderWs(wsOrder.id, BTC);
        check(c.id === wsOrder.id && c.status === 'canceled', `ws cancel ${JSON.stringify(c.info)}`);
        const again = await ex.fetchOrder(wsOrder.id, BTC);
        check(again.status === 'canceled', `refetched status ${again.status}`);
        return { id: c.id, status: c.status };
    });

    await step('createOrderWs MARKET', async () => {
        const o = await ex.createOrderWs(BTC, 'market', 'buy', mktQty);
        check(o.status === 'closed' && o.filled === mktQty && o.average > 0, `ws market order ${JSON.stringify(o.info)}`);
        const c = await ex.createOrderWs(BTC, 'market', 'sell', mktQty, undefined, { reduceOnly: true });
        check(c.status === 'closed' && c.filled === mktQty, `ws close ${JSON.stringify(c.info)}`);
        return { id: o.id, average: o.average, closeId: c.id };
    });

    await step('createOrderWs MIN_NOTIONAL', async () => {
        const price = Number(ex.priceToPrecision(BTC, book.bids[0][0] * 0.9));
        return expectError(() => ex.createOrderWs(BTC, 'limit', 'buy', m.limits.amount.min, price), -4164, ccxt.ExchangeError, ccxt.InvalidOrder);
    });

    // An Ed25519 key: ccxt signs with Ed25519 when the secret is a PEM private key (base64 signature, percent-encoded
    // on REST); the venue verifies with the registered public key.
    const ed = client(edKey, edSecret);
    ed.markets = ex.markets;
    ed.markets_by_id = ex.markets_by_id;
    await step('Ed25519 REST', async () => {
        const bal = await ed.fetchBalance();
        check(bal.USDT && bal.USDT.total > 0, `Ed25519 balance ${JSON.stringify(bal.USDT)}`);
        const price = Number(ed.priceToPrecision(BTC, book.bids[0][0] * 0.9));
        const amount = Number(ed.amountToPrecision(BTC, Math.max(qty, (m.limits.cost.min * 1.5) / price)));
        const o = await ed.createOrder(BTC, 'limit', 'buy', amount, price);
        check(o.status === 'open', `Ed25519 order ${JSON.stringify(o.info)}`);
        const c = await ed.cancelOrder(o.id, BTC);
        check(c.status === 'canceled', `Ed25519 cancel ${JSON.stringify(c.info)}`);
        return { id: o.id };
    });

    await step('Ed25519 createOrderWs', async () => {
        await ed.loadHttpProxyAgent();
        const o = await ed.createOrderWs(BTC, 'market', 'buy', mktQty);
        check(o.status === 'closed' && o.filled === mktQty, `Ed25519 ws order ${JSON.stringify(o.info)}`);
        const c = await ed.createOrderWs(BTC, 'market', 'sell', mktQty, undefined, { reduceOnly: true });
        check(c.status === 'closed', `Ed25519 ws close ${JSON.stringify(c.info)}`);
        await ed.close();
        return { id: o.id };
    });

    await step('watchOrderBook', async () => {
        let ob = await ex.watchOrderBook(ETH);
        const first = ob.nonce;
        for (let i = 0; i < 5; i++) {
            ob = await ex.watchOrderBook(ETH);
        }
        check(ob.bids.length > 0 && ob.asks.length > 0 && ob.bids[0][0] < ob.asks[0][0], `ws book ${JSON.stringify([ob.bids[0], ob.asks[0]])}`);
        check(ob.nonce > first, `ws book did not advance (${first} -> ${ob.nonce})`);
        return { bid: ob.bids[0], ask: ob.asks[0], nonce: ob.nonce, updates: 6 };
    });

    await step('watchTrades', async () => {
        const trades = await ex.watchTrades(ETH);
        check(trades.length > 0 && trades.every((t) => t.symbol === ETH && t.price > 0 && t.amount > 0), `ws trades ${JSON.stringify(trades.slice(-1))}`);
        return { trades: trades.length, last: trades[trades.length - 1].price };
    });

    await step('watchOrders', async () => {
        const wait = ex.watchOrders(ETH);
        await sleep(300); // let the user-data socket connect before the order exists
        const em = markets[ETH];
        const eb = await ex.fetchOrderBook(ETH, 5);
        const amount = Number(ex.amountToPrecision(ETH, Math.max(em.limits.amount.min, (em.limits.cost.min * 1.5) / eb.asks[0][0])));
        const placed = await ex.createOrder(ETH, 'market', 'buy', amount);
        const orders = await wait;
        check(orders.some((o) => o.id === placed.id), `user stream orders ${JSON.stringify(orders.map((o) => [o.id, o.status]))}`);
        await ex.createOrder(ETH, 'market', 'sell', amount, undefined, { reduceOnly: true });
        return { orders: orders.length, id: placed.id };
    });
}

try {
    await main();
    await ex.close();
    console.log(JSON.stringify({ step: 'done', ok: true }));
    process.exit(0);
} catch (e) {
    console.log(JSON.stringify({ step: current, ok: false, error: e.constructor.name, message: String(e.message) }));
    console.error(e.stack);
    process.exit(1);
}
