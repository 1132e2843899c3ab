namespace Tests.Exchange;

/// <summary>Real files under Tests/Data, copied to the test output.</summary>
internal static class TestData
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    public static byte[] Read(string name) => File.ReadAllBytes(PathOf(name));

    public const string ExchangeInfo2021 = "fapi_v1_exchangeInfo_2021-07-21.json";
}
