using System.Globalization;
using System.Text.Json;

namespace Simulator;

internal sealed partial class RestApi
{
    private void RegisterAccount()
    {
        Add("GET", "/fapi/v2/positionRisk", Security.Signed, 5, ["symbol"], p => PositionRisk(p, v3: false));
        Add("GET", "/fapi/v3/positionRisk", Security.Signed, 5, ["symbol"], p => PositionRisk(p, v3: true));
        Add("GET", "/fapi/v2/account", Security.Signed, 5, [], _ => Account(v3: false));
        Add("GET", "/fapi/v3/account", Security.Signed, 5, [], _ => Account(v3: true));
        Add("GET", "/fapi/v2/balance", Security.Signed, 5, [], _ => Balance());
        Add("GET", "/fapi/v3/balance", Security.Signed, 5, [], _ => Balance());
        Add("GET", "/fapi/v1/leverageBracket", Security.Signed, 1, ["symbol"], LeverageBracket);
        Add("GET", "/fapi/v1/commissionRate", Security.Signed, 20, ["symbol"], p =>
        {
            var s = Symbol(p);
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("symbol", s.Spec.Symbol);
                w.WriteString("makerCommissionRate", Num.Bounded(_options.MakerCommission, 4));
                w.WriteString("takerCommissionRate", Num.Bounded(_options.TakerCommission, 4));
                w.WriteEndObject();
            });
        });
        Add("GET", "/fapi/v1/positionSide/dual", Security.Signed, 30, [], _ => Json(w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("dualSidePosition", false);
            w.WriteEndObject();
        }));
        Add("POST", "/fapi/v1/positionSide/dual", Security.Signed, 1, ["dualSidePosition"], p =>
        {
            if (!p.Bool("dualSidePosition"))
            {
                throw VenueException.Bad(-4059, "No need to change position side.");
            }

            // Hedge mode is not simulated; the venue stays in one-way mode and says so.
            throw VenueException.Bad(-1130, "Data sent for parameter 'dualSidePosition' is not valid.");
        });
    }

    private Reply PositionRisk(RequestParams p, bool v3)
    {
        var only = OptionalSymbol(p);
        lock (_venue.Gate)
        {
            return Json(w =>
            {
                w.WriteStartArray();
                foreach (var s in _venue.Symbols)
                {
                    if (only is not null && s != only)
                    {
                        continue;
                    }

                    var hasOrders = _venue.OpenOrders.Any(o => o.Symbol == s);
                    if (v3 && !_venue.HasPosition(s) && !hasOrders)
                    {
                        continue;
                    }

                    WritePositionRisk(w, s, v3);
                }

                w.WriteEndArray();
            });
        }
    }

    private void WritePositionRisk(Utf8JsonWriter w, MarketSymbol s, bool v3)
    {
        var spec = s.Spec;
        var pos = _venue.PositionOf(s);
        var notional = pos.Amount * s.MarkPrice;
        w.WriteStartObject();
        w.WriteString("symbol", spec.Symbol);
        w.WriteString("positionSide", "BOTH");
        w.WriteString("positionAmt", Num.Qty(spec, pos.Amount));
        w.WriteString("entryPrice", Num.Bounded(pos.EntryPrice, 1));
        w.WriteString("breakEvenPrice", Num.Bounded(_venue.BreakEven(pos), 1));
        w.WriteString("markPrice", Num.Fixed(s.MarkPrice, 8));
        w.WriteString("unRealizedProfit", Num.Fixed(Venue.Unrealized(s, pos), 8));
        w.WriteString("liquidationPrice", Num.Bounded(_venue.LiquidationPrice(s, pos), 0));
        w.WriteString("isolatedMargin", "0.00000000");
        w.WriteString("notional", Num.Bounded(notional, 0));
        w.WriteString("isolatedWallet", "0");
        if (v3)
        {
            var orderMargin = _venue.OpenOrderInitialMargin(s);
            var im = Venue.PositionInitialMargin(s, pos);
            w.WriteString("marginAsset", Venue.Asset);
            w.WriteString("initialMargin", Num.Bounded(im + orderMargin, 0));
            w.WriteString("maintMargin", Num.Bounded(Venue.MaintMargin(s, pos), 0));
            w.WriteString("positionInitialMargin", Num.Bounded(im, 0));
            w.WriteString("openOrderInitialMargin", Num.Bounded(orderMargin, 0));
            w.WriteNumber("adl", pos.Amount == 0 ? 0 : 2);
            w.WriteString("bidNotional", "0");
            w.WriteString("askNotional", "0");
        }
        else
        {
            w.WriteString("marginType", pos.Isolated ? "isolated" : "cross");
            w.WriteString("isAutoAddMargin", "false");
            w.WriteString("leverage", pos.Leverage.ToString(CultureInfo.InvariantCulture));
            w.WriteString("maxNotionalValue", MaxNotional(pos.Leverage));
        }

        w.WriteNumber("updateTime", pos.UpdateTime);
        w.WriteEndObject();
    }

    private Reply Account(bool v3)
    {
        lock (_venue.Gate)
        {
            var wallet = _venue.Wallet;
            var upnl = _venue.TotalUnrealized();
            var posIm = _venue.TotalPositionInitialMargin();
            var ordIm = _venue.OpenOrderInitialMargin();
            var mm = _venue.TotalMaintMargin();
            var available = _venue.Available;
            var updateTime = _venue.WalletUpdateTime;
            return Json(w =>
            {
                w.WriteStartObject();
                if (!v3)
                {
                    w.WriteNumber("feeTier", 0);
                    w.WriteBoolean("feeBurn", false);
                    w.WriteBoolean("canTrade", true);
                    w.WriteBoolean("canDeposit", true);
                    w.WriteBoolean("canWithdraw", true);
                    w.WriteNumber("updateTime", 0);
                    w.WriteBoolean("multiAssetsMargin", false);
                    w.WriteNumber("tradeGroupId", -1);
                }

                w.WriteString("totalInitialMargin", Num.Fixed(posIm + ordIm, 8));
                w.WriteString("totalMaintMargin", Num.Fixed(mm, 8));
                w.WriteString("totalWalletBalance", Num.Fixed(wallet, 8));
                w.WriteString("totalUnrealizedProfit", Num.Fixed(upnl, 8));
                w.WriteString("totalMarginBalance", Num.Fixed(wallet + upnl, 8));
                w.WriteString("totalPositionInitialMargin", Num.Fixed(posIm, 8));
                w.WriteString("totalOpenOrderInitialMargin", Num.Fixed(ordIm, 8));
                w.WriteString("totalCrossWalletBalance", Num.Fixed(wallet, 8));
                w.WriteString("totalCrossUnPnl", Num.Fixed(upnl, 8));
                w.WriteString("availableBalance", Num.Fixed(available, 8));
                w.WriteString("maxWithdrawAmount", Num.Fixed(Math.Min(available, wallet), 8));
                w.WritePropertyName("assets");
                w.WriteStartArray();
                w.WriteStartObject();
                w.WriteString("asset", Venue.Asset);
                w.WriteString("walletBalance", Num.Fixed(wallet, 8));
                w.WriteString("unrealizedProfit", Num.Fixed(upnl, 8));
                w.WriteString("marginBalance", Num.Fixed(wallet + upnl, 8));
                w.WriteString("maintMargin", Num.Fixed(mm, 8));
                w.WriteString("initialMargin", Num.Fixed(posIm + ordIm, 8));
                w.WriteString("positionInitialMargin", Num.Fixed(posIm, 8));
                w.WriteString("openOrderInitialMargin", Num.Fixed(ordIm, 8));
                w.WriteString("crossWalletBalance", Num.Fixed(wallet, 8));
                w.WriteString("crossUnPnl", Num.Fixed(upnl, 8));
                w.WriteString("availableBalance", Num.Fixed(available, 8));
                w.WriteString("maxWithdrawAmount", Num.Fixed(Math.Min(available, wallet), 8));
                if (!v3)
                {
                    w.WriteBoolean("marginAvailable", true);
                }

                w.WriteNumber("updateTime", updateTime == 0 ? _venue.Clock.StartMs : updateTime);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WritePropertyName("positions");
                w.WriteStartArray();
                foreach (var s in _venue.Symbols)
                {
                    var hasOrders = _venue.OpenOrders.Any(o => o.Symbol == s);
                    if (v3 && !_venue.HasPosition(s) && !hasOrders)
                    {
                        continue;
                    }

                    var spec = s.Spec;
                    var pos = _venue.PositionOf(s);
                    var im = Venue.PositionInitialMargin(s, pos);
                    var om = _venue.OpenOrderInitialMargin(s);
                    w.WriteStartObject();
                    w.WriteString("symbol", spec.Symbol);
                    w.WriteString("positionSide", "BOTH");
                    w.WriteString("positionAmt", Num.Qty(spec, pos.Amount));
                    w.WriteString("unrealizedProfit", Num.Fixed(Venue.Unrealized(s, pos), 8));
                    w.WriteString("isolatedMargin", "0");
                    w.WriteString("notional", Num.Bounded(pos.Amount * s.MarkPrice, 0));
                    w.WriteString("isolatedWallet", "0");
                    w.WriteString("initialMargin", Num.Bounded(im + om, 0));
                    w.WriteString("maintMargin", Num.Bounded(Venue.MaintMargin(s, pos), 0));
                    if (!v3)
                    {
                        w.WriteString("positionInitialMargin", Num.Bounded(im, 0));
                        w.WriteString("openOrderInitialMargin", Num.Bounded(om, 0));
                        w.WriteString("leverage", pos.Leverage.ToString(CultureInfo.InvariantCulture));
                        w.WriteBoolean("isolated", pos.Isolated);
                        w.WriteString("entryPrice", Num.Bounded(pos.EntryPrice, 1));
                        w.WriteString("breakEvenPrice", Num.Bounded(_venue.BreakEven(pos), 1));
                        w.WriteString("maxNotional", MaxNotional(pos.Leverage));
                        w.WriteString("bidNotional", "0");
                        w.WriteString("askNotional", "0");
                    }

                    w.WriteNumber("updateTime", pos.UpdateTime);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
    }

    private Reply Balance()
    {
        lock (_venue.Gate)
        {
            var wallet = _venue.Wallet;
            var upnl = _venue.TotalUnrealized();
            var available = _venue.Available;
            return Json(w =>
            {
                w.WriteStartArray();
                w.WriteStartObject();
                w.WriteString("accountAlias", "SgsR");
                w.WriteString("asset", Venue.Asset);
                w.WriteString("balance", Num.Fixed(wallet, 8));
                w.WriteString("crossWalletBalance", Num.Fixed(wallet, 8));
                w.WriteString("crossUnPnl", Num.Fixed(upnl, 8));
                w.WriteString("availableBalance", Num.Fixed(available, 8));
                w.WriteString("maxWithdrawAmount", Num.Fixed(Math.Min(available, wallet), 8));
                w.WriteBoolean("marginAvailable", true);
                w.WriteNumber("updateTime", _venue.WalletUpdateTime == 0 ? _venue.Clock.StartMs : _venue.WalletUpdateTime);
                w.WriteEndObject();
                w.WriteEndArray();
            });
        }
    }

    private Reply LeverageBracket(RequestParams p)
    {
        var only = OptionalSymbol(p);
        return Json(w =>
        {
            w.WriteStartArray();
            foreach (var s in _venue.Symbols)
            {
                if (only is not null && s != only)
                {
                    continue;
                }

                w.WriteStartObject();
                w.WriteString("symbol", s.Spec.Symbol);
                w.WritePropertyName("brackets");
                w.WriteStartArray();
                w.WriteStartObject();
                w.WriteNumber("bracket", 1);
                w.WriteNumber("initialLeverage", 125);
                w.WriteNumber("notionalCap", 1_000_000_000);
                w.WriteNumber("notionalFloor", 0);
                w.WriteNumber("maintMarginRatio", s.Spec.MaintMarginRatio);
                w.WriteNumber("cum", 0.0m);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }
}
