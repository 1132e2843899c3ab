using System.Text;
using Engine.Model;

namespace Tests.Model;

public sealed class ClientOrderIdTests
{
    [Theory]
    [InlineData(1L, "e1")]
    [InlineData(4_294_967_296_123L, "e4294967296123")]
    [InlineData(long.MaxValue, "e9223372036854775807")]
    public void Formats_and_parses_back(long id, string wire)
    {
        Span<byte> buffer = stackalloc byte[ClientOrderId.MaxLength];
        var written = ClientOrderId.Format(id, buffer);
        Assert.Equal(wire, Encoding.ASCII.GetString(buffer[..written]));
        Assert.True(ClientOrderId.TryParse(buffer[..written], out var parsed));
        Assert.Equal(id, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("e")]
    [InlineData("e0")]
    [InlineData("e012")]
    [InlineData("e-5")]
    [InlineData("E12")]
    [InlineData("x12")]
    [InlineData("e12a")]
    [InlineData("e9223372036854775808")]
    [InlineData("web_8f3a2b")]
    [InlineData("ios_1234567890")]
    public void Refuses_ids_the_engine_did_not_write(string wire)
    {
        Assert.False(ClientOrderId.TryParse(Encoding.ASCII.GetBytes(wire), out _));
    }

    [Fact]
    public void Reports_a_destination_too_small()
    {
        Span<byte> buffer = stackalloc byte[3];
        Assert.Equal(0, ClientOrderId.Format(12345, buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClientOrderId.Format(0, new byte[8]));
    }
}
