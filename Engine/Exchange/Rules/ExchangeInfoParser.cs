using System.Runtime.InteropServices;
using System.Text.Json;
using Engine.Model;

namespace Engine.Exchange.Rules;

/// <summary>
/// Parses <c>GET /fapi/v1/exchangeInfo</c> into exact per-symbol rules. Runs at start-up and on refresh, so it
/// favours clear errors over speed: a malformed document or a value that is not an exact decimal fails with
/// the symbol and field named. Unknown fields, filters and enum values are tolerated, as the venue asks.
/// </summary>
public static class ExchangeInfoParser
{
    public static ExchangeInfo Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new ExchangeInfoFormatException($"exchangeInfo is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ExchangeInfoFormatException($"exchangeInfo must be a JSON object, got {root.ValueKind}.");
            }

            if (root.TryGetProperty("code"u8, out var code) && root.TryGetProperty("msg"u8, out var msg))
            {
                throw new ExchangeInfoFormatException($"exchangeInfo request failed: code {code.GetRawText()}, {msg.GetRawText()}.");
            }

            var serverTime = root.TryGetProperty("serverTime"u8, out var st) && st.ValueKind == JsonValueKind.Number ? st.GetInt64() : 0;
            var rateLimits = new List<RateLimit>();
            if (root.TryGetProperty("rateLimits"u8, out var limits) && limits.ValueKind == JsonValueKind.Array)
            {
                foreach (var limit in limits.EnumerateArray())
                {
                    rateLimits.Add(ParseRateLimit(limit));
                }
            }

            if (!root.TryGetProperty("symbols"u8, out var symbols) || symbols.ValueKind != JsonValueKind.Array)
            {
                throw new ExchangeInfoFormatException("exchangeInfo has no \"symbols\" array.");
            }

            var parsed = new List<SymbolInfo>(symbols.GetArrayLength());
            foreach (var symbol in symbols.EnumerateArray())
            {
                parsed.Add(ParseSymbol(symbol));
            }

            return new ExchangeInfo(serverTime, rateLimits, parsed);
        }
    }

    private static RateLimit ParseRateLimit(JsonElement limit)
    {
        var type = RequiredString(limit, "rateLimitType", "rateLimits") switch
        {
            "REQUEST_WEIGHT" => RateLimitType.RequestWeight,
            "ORDERS" => RateLimitType.Orders,
            "RAW_REQUESTS" => RateLimitType.RawRequests,
            _ => RateLimitType.Unknown,
        };
        var intervalNum = RequiredInt(limit, "intervalNum", "rateLimits");
        var (unit, letter) = RequiredString(limit, "interval", "rateLimits") switch
        {
            "SECOND" => (TimeSpan.FromSeconds(1), 'S'),
            "MINUTE" => (TimeSpan.FromMinutes(1), 'M'),
            "HOUR" => (TimeSpan.FromHours(1), 'H'),
            "DAY" => (TimeSpan.FromDays(1), 'D'),
            var other => throw new ExchangeInfoFormatException($"rateLimits: unknown interval \"{other}\"."),
        };
        return new RateLimit(type, unit * intervalNum, intervalNum, letter, RequiredInt(limit, "limit", "rateLimits"));
    }

    private static SymbolInfo ParseSymbol(JsonElement element)
    {
        var name = RequiredString(element, "symbol", "symbols[]");
        var where = $"symbol {name}";
        Price tick = default, minPrice = default, maxPrice = default;
        Quantity step = default, minQty = default, maxQty = default;
        Quantity marketStep = default, marketMin = default, marketMax = default;
        var sawMarketLot = false;
        Notional minNotional = default;
        long up = 0, down = 0;
        var maxOrders = 0;
        var ignored = new List<string>();
        if (element.TryGetProperty("filters"u8, out var filters) && filters.ValueKind == JsonValueKind.Array)
        {
            foreach (var filter in filters.EnumerateArray())
            {
                var type = RequiredString(filter, "filterType", where);
                var at = $"{where} {type}";
                switch (type)
                {
                    case "PRICE_FILTER":
                        minPrice = Price.FromMantissa(Decimal(filter, "minPrice", at));
                        maxPrice = Price.FromMantissa(Decimal(filter, "maxPrice", at));
                        tick = Price.FromMantissa(Decimal(filter, "tickSize", at));
                        break;
                    case "LOT_SIZE":
                        minQty = Quantity.FromMantissa(Decimal(filter, "minQty", at));
                        maxQty = Quantity.FromMantissa(Decimal(filter, "maxQty", at));
                        step = Quantity.FromMantissa(Decimal(filter, "stepSize", at));
                        break;
                    case "MARKET_LOT_SIZE":
                        sawMarketLot = true;
                        marketMin = Quantity.FromMantissa(Decimal(filter, "minQty", at));
                        marketMax = Quantity.FromMantissa(Decimal(filter, "maxQty", at));
                        marketStep = Quantity.FromMantissa(Decimal(filter, "stepSize", at));
                        break;
                    case "MIN_NOTIONAL":
                        // USDⓈ-M calls it "notional"; spot's "minNotional" is accepted for documents that mix styles.
                        minNotional = Notional.FromMantissa(filter.TryGetProperty("notional"u8, out _)
                            ? Decimal(filter, "notional", at)
                            : Decimal(filter, "minNotional", at));
                        break;
                    case "PERCENT_PRICE":
                        up = Decimal(filter, "multiplierUp", at);
                        down = Decimal(filter, "multiplierDown", at);
                        break;
                    case "MAX_NUM_ORDERS":
                        maxOrders = RequiredInt(filter, "limit", at);
                        break;
                    default:
                        ignored.Add(type);
                        break;
                }
            }
        }

        if (!sawMarketLot)
        {
            (marketStep, marketMin, marketMax) = (step, minQty, maxQty);
        }

        return new SymbolInfo
        {
            Symbol = name,
            Pair = OptionalString(element, "pair") ?? name,
            ContractType = OptionalString(element, "contractType") switch
            {
                "PERPETUAL" => ContractType.Perpetual,
                "CURRENT_MONTH" => ContractType.CurrentMonth,
                "NEXT_MONTH" => ContractType.NextMonth,
                "CURRENT_QUARTER" => ContractType.CurrentQuarter,
                "NEXT_QUARTER" => ContractType.NextQuarter,
                "PERPETUAL_DELIVERING" => ContractType.PerpetualDelivering,
                _ => ContractType.Unknown,
            },
            Status = OptionalString(element, "status") switch
            {
                "PENDING_TRADING" => SymbolStatus.PendingTrading,
                "TRADING" => SymbolStatus.Trading,
                "PRE_DELIVERING" => SymbolStatus.PreDelivering,
                "DELIVERING" => SymbolStatus.Delivering,
                "DELIVERED" => SymbolStatus.Delivered,
                "PRE_SETTLE" => SymbolStatus.PreSettle,
                "SETTLING" => SymbolStatus.Settling,
                "CLOSE" => SymbolStatus.Close,
                _ => SymbolStatus.Unknown,
            },
            BaseAsset = OptionalString(element, "baseAsset") ?? string.Empty,
            QuoteAsset = OptionalString(element, "quoteAsset") ?? string.Empty,
            MarginAsset = OptionalString(element, "marginAsset") ?? string.Empty,
            OrderTypes = StringArray(element, "orderTypes"),
            TimeInForce = StringArray(element, "timeInForce"),
            IgnoredFilters = ignored,
            Rules = new SymbolRules
            {
                TickSize = tick,
                MinPrice = minPrice,
                MaxPrice = maxPrice,
                StepSize = step,
                MinQuantity = minQty,
                MaxQuantity = maxQty,
                MarketStepSize = marketStep,
                MarketMinQuantity = marketMin,
                MarketMaxQuantity = marketMax,
                MinNotional = minNotional,
                PercentPriceUpMantissa = up,
                PercentPriceDownMantissa = down,
                MaxOpenOrders = maxOrders,
                PricePrecision = OptionalInt(element, "pricePrecision", where),
                QuantityPrecision = OptionalInt(element, "quantityPrecision", where),
            },
        };
    }

    // Decimal strings go straight from their UTF-8 bytes to a fixed-point mantissa: no double, no decimal.
    private static long Decimal(JsonElement owner, string field, string where)
    {
        if (!owner.TryGetProperty(field, out var value))
        {
            throw new ExchangeInfoFormatException($"exchangeInfo {where}: missing \"{field}\".");
        }

        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (value.ValueKind == JsonValueKind.String)
        {
            raw = raw[1..^1];
        }
        else if (value.ValueKind != JsonValueKind.Number)
        {
            throw new ExchangeInfoFormatException($"exchangeInfo {where}: \"{field}\" is {value.ValueKind}, expected a decimal string.");
        }

        if (!FixedPoint.TryParse(raw, out var mantissa, out var error))
        {
            throw new ExchangeInfoFormatException($"exchangeInfo {where}: \"{field}\" = {value.GetRawText()} is not usable: {FixedPoint.Describe(error)}.");
        }

        if (mantissa < 0)
        {
            throw new ExchangeInfoFormatException($"exchangeInfo {where}: \"{field}\" = {value.GetRawText()} is negative.");
        }

        return mantissa;
    }

    private static string RequiredString(JsonElement owner, string field, string where) =>
        OptionalString(owner, field) ?? throw new ExchangeInfoFormatException($"exchangeInfo {where}: missing string \"{field}\".");

    private static string? OptionalString(JsonElement owner, string field) =>
        owner.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int RequiredInt(JsonElement owner, string field, string where)
    {
        if (!owner.TryGetProperty(field, out var value))
        {
            throw new ExchangeInfoFormatException($"exchangeInfo {where}: missing \"{field}\".");
        }

        return ToInt(value, field, where);
    }

    private static int OptionalInt(JsonElement owner, string field, string where) =>
        owner.TryGetProperty(field, out var value) ? ToInt(value, field, where) : 0;

    private static int ToInt(JsonElement value, string field, string where)
    {
        // Some fields are numbers in one vintage and strings in another (multiplierDecimal); accept both.
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
        {
            return number;
        }

        if (value.ValueKind == JsonValueKind.String && int.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        throw new ExchangeInfoFormatException($"exchangeInfo {where}: \"{field}\" = {value.GetRawText()} is not an integer.");
    }

    private static string[] StringArray(JsonElement owner, string field)
    {
        if (!owner.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var result = new string[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            result[i++] = item.GetString() ?? string.Empty;
        }

        return result;
    }
}
