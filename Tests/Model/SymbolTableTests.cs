using System.Text;
using Engine.Model;

namespace Tests.Model;

public class SymbolTableTests
{
    [Fact]
    public void Added_symbols_are_found_by_utf8_name_and_named_back()
    {
        var table = new SymbolTable();
        var btc = table.Add("BTCUSDT");
        var eth = table.Add("ETHUSDT");
        var pepe = table.Add("1000PEPEUSDT");
        var quarterly = table.Add("BTCUSDT_250627");

        Assert.Equal(4, table.Count);
        Assert.False(btc.IsNone);
        Assert.NotEqual(btc, eth);
        Assert.True(table.TryGet("BTCUSDT"u8, out var found));
        Assert.Equal(btc, found);
        Assert.True(table.TryGet("ETHUSDT"u8, out found));
        Assert.Equal(eth, found);
        Assert.True(table.TryGet("1000PEPEUSDT"u8, out found));
        Assert.Equal(pepe, found);
        Assert.True(table.TryGet("BTCUSDT_250627"u8, out found));
        Assert.Equal(quarterly, found);

        Assert.Equal("ETHUSDT", table.NameOf(eth));
        Assert.True(table.Utf8NameOf(btc).SequenceEqual("BTCUSDT"u8));
    }

    [Fact]
    public void Add_is_idempotent()
    {
        var table = new SymbolTable(4);
        var first = table.Add("BTCUSDT");
        Assert.Equal(first, table.Add("BTCUSDT"));
        Assert.Equal(1, table.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("BTCUSD")]
    [InlineData("BTCUSDT ")]
    [InlineData("btcusdt")]
    [InlineData("BTCUSDTX")]
    [InlineData("XRPUSDT")]
    [InlineData("0123456789012345678901234567890123456789")]
    public void Unknown_symbols_are_not_found(string name)
    {
        var table = new SymbolTable();
        table.Add("BTCUSDT");
        table.Add("ETHUSDT");
        Assert.False(table.TryGet(Encoding.UTF8.GetBytes(name), out var id));
        Assert.True(id.IsNone);
        Assert.Equal(SymbolId.None, id);
    }

    [Theory]
    [InlineData("btcusdt")]
    [InlineData("BTC USDT")]
    [InlineData("BTC-USDT")]
    [InlineData("")]
    [InlineData("ÄBCUSDT")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456")]
    public void Invalid_names_are_rejected(string name)
    {
        var table = new SymbolTable();
        var ex = Assert.Throws<ArgumentException>(() => table.Add(name));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void A_full_table_refuses_new_symbols_clearly()
    {
        var table = new SymbolTable(2);
        table.Add("BTCUSDT");
        table.Add("ETHUSDT");
        var ex = Assert.Throws<InvalidOperationException>(() => table.Add("SOLUSDT"));
        Assert.Contains("full", ex.Message, StringComparison.Ordinal);
        Assert.Equal(table.Add("ETHUSDT"), table.Add("ETHUSDT"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SymbolTable(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SymbolTable(SymbolTable.MaxCapacity + 1));
    }

    [Fact]
    public void Ids_not_in_the_table_are_rejected()
    {
        var table = new SymbolTable();
        table.Add("BTCUSDT");
        Assert.Throws<ArgumentOutOfRangeException>(() => table.NameOf(SymbolId.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.NameOf(new SymbolId(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Utf8NameOf(default).Length);
    }

    [Fact]
    public void Many_symbols_survive_hash_collisions()
    {
        var table = new SymbolTable(SymbolTable.MaxCapacity);
        var names = new List<string>();
        for (var i = 0; i < 5_000; i++)
        {
            names.Add("S" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "USDT");
        }

        var ids = names.Select(table.Add).ToList();
        Assert.Equal(names.Count, table.Count);
        Assert.Equal(names.Count, ids.Distinct().Count());
        for (var i = 0; i < names.Count; i++)
        {
            Assert.True(table.TryGet(Encoding.ASCII.GetBytes(names[i]), out var id));
            Assert.Equal(ids[i], id);
            Assert.Equal(names[i], table.NameOf(id));
        }

        Assert.False(table.TryGet("S5000USDT"u8, out _));
    }

    [Fact]
    public void SymbolId_semantics()
    {
        Assert.True(default(SymbolId).IsNone);
        Assert.Equal(SymbolId.None, default);
        Assert.Equal(new SymbolId(3), new SymbolId(3));
        Assert.True(new SymbolId(3) != new SymbolId(4));
        Assert.Equal("SymbolId(3)", new SymbolId(3).ToString());
        Assert.Equal("SymbolId(None)", SymbolId.None.ToString());
        Assert.Equal(2, System.Runtime.CompilerServices.Unsafe.SizeOf<SymbolId>());
    }
}
