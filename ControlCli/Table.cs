using System.Text;

namespace ControlCli;

/// <summary>A plain-text table: columns padded to their widest cell, a rule under the header.</summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public Table Row(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        var text = new StringBuilder();
        Line(text, headers, widths);
        Line(text, [.. widths.Select(w => new string('-', w))], widths);
        foreach (var row in _rows)
        {
            Line(text, row, widths);
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string[] cells, int[] widths)
    {
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Length ? cells[i] : "";
            text.Append(i == widths.Length - 1 ? cell : cell.PadRight(widths[i] + 2));
        }

        text.Append('\n');
    }
}
