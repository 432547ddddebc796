namespace Strongroom.Core;

/// <summary>
/// The wire names of an enum's members, both ways, from one table (so a name and its parse cannot
/// drift apart). Names compare ordinally; a member not in the table has no name.
/// </summary>
public sealed class NameTable<T>
    where T : struct, Enum
{
    private readonly (T Value, string Name)[] entries;

    public NameTable(params (T Value, string Name)[] entries)
    {
        this.entries = entries;
    }

    /// <summary>The member's name; ArgumentOutOfRangeException for a member not in the table.</summary>
    public string Name(T value)
    {
        foreach (var entry in entries)
        {
            if (EqualityComparer<T>.Default.Equals(entry.Value, value))
            {
                return entry.Name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, $"{typeof(T).Name} {value} has no name.");
    }

    /// <summary>The member named <paramref name="name"/>; false (and <c>default</c>) for any other string or null.</summary>
    public bool TryParse(string? name, out T value)
    {
        foreach (var entry in entries)
        {
            if (string.Equals(entry.Name, name, StringComparison.Ordinal))
            {
                value = entry.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}
