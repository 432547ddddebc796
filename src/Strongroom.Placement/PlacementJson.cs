using System.Text.Json;

namespace Strongroom.Placement;

/// <summary>The JSON of a locations answer, shared by the tenant endpoint and <c>strongroom account locations --json</c>.</summary>
public static class PlacementJson
{
    /// <summary>
    /// <c>{"account","policy":{"residency","primaryRegion","secondaryRegion"?,"redundancy"},
    /// "summary":{"sites":[…],"regions":[…],"jurisdictions":[…]},"blobs":[{"container","blob",
    /// "length","objects":[{"id","bytes","copies":[{"site","region","zone","jurisdiction","state","transfer"?}]}]}],
    /// "nextMarker"?}</c>; <c>"transfer"</c> names the cross-border transfer a copy was made under (members inside the open root object).
    /// </summary>
    public static void WriteLocations(Utf8JsonWriter json, AccountLocations locations)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(locations);
        json.WriteString("account", locations.Account);
        WritePolicy(json, locations.Policy);
        WriteSummary(json, locations.Summary);
        WriteBlobs(json, "blobs", locations.Blobs);
        if (locations.NextMarker is not null)
        {
            json.WriteString("nextMarker", locations.NextMarker);
        }
    }

    // The members below are shared with the placement report, whose bytes they freeze (its
    // golden test): change them only by adding a new report format version.

    /// <summary><c>"policy":{"residency":[…],"primaryRegion","secondaryRegion"?,"redundancy"}</c>.</summary>
    internal static void WritePolicy(Utf8JsonWriter json, Core.PlacementPolicy policy)
    {
        json.WriteStartObject("policy");
        WritePolicyMembers(json, policy);
        json.WriteEndObject();
    }

    /// <summary>
    /// <c>"residency":[…],"primaryRegion","secondaryRegion"?,"redundancy"</c> inside an open
    /// object: a policy wherever one is written (an account on the management plane, <c>strongroom
    /// account placement --json</c>, the locations answer and the report).
    /// </summary>
    public static void WritePolicyMembers(Utf8JsonWriter json, Core.PlacementPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(policy);
        json.WriteStartArray("residency");
        foreach (var jurisdiction in policy.Residency)
        {
            json.WriteStringValue(jurisdiction);
        }

        json.WriteEndArray();
        json.WriteString("primaryRegion", policy.PrimaryRegion);
        if (policy.SecondaryRegion is not null)
        {
            json.WriteString("secondaryRegion", policy.SecondaryRegion);
        }

        json.WriteString("redundancy", policy.Redundancy.ToString());
    }

    /// <summary><c>"summary":{"sites":[{"id","region","zone","jurisdiction","present","pending","bad","bytes"}],"regions":[…],"jurisdictions":[…]}</c>.</summary>
    internal static void WriteSummary(Utf8JsonWriter json, PlacementSummary summary)
    {
        json.WriteStartObject("summary");
        json.WriteStartArray("sites");
        foreach (var site in summary.Sites)
        {
            json.WriteStartObject();
            json.WriteString("id", site.SiteId);
            json.WriteString("region", site.Region);
            json.WriteString("zone", site.Zone);
            json.WriteString("jurisdiction", site.Jurisdiction);
            json.WriteNumber("present", site.Present);
            json.WriteNumber("pending", site.Pending);
            json.WriteNumber("bad", site.Bad);
            json.WriteNumber("bytes", site.PresentBytes);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        WriteAreas(json, "regions", summary.Regions);
        WriteAreas(json, "jurisdictions", summary.Jurisdictions);
        json.WriteEndObject();
    }

    /// <summary><c>"NAME":[{"container","blob","length","objects":[{"id","bytes","copies":[{"site","region","zone","jurisdiction","state","transfer"?}]}]}]</c>.</summary>
    internal static void WriteBlobs(Utf8JsonWriter json, string name, IReadOnlyList<BlobCopies> blobs)
    {
        json.WriteStartArray(name);
        foreach (var blob in blobs)
        {
            json.WriteStartObject();
            json.WriteString("container", blob.Container);
            json.WriteString("blob", blob.Blob);
            json.WriteNumber("length", blob.ContentLength);
            json.WriteStartArray("objects");
            foreach (var stored in blob.Objects)
            {
                json.WriteStartObject();
                json.WriteString("id", stored.ObjectId);
                json.WriteNumber("bytes", stored.CiphertextBytes);
                json.WriteStartArray("copies");
                foreach (var copy in stored.Copies)
                {
                    json.WriteStartObject();
                    json.WriteString("site", copy.SiteId);
                    json.WriteString("region", copy.Region);
                    json.WriteString("zone", copy.Zone);
                    json.WriteString("jurisdiction", copy.Jurisdiction);
                    json.WriteString("state", PlacementReport.StateName(copy.State));
                    if (copy.TransferId is not null)
                    {
                        json.WriteString("transfer", copy.TransferId);
                    }
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteAreas(Utf8JsonWriter json, string name, IReadOnlyList<AreaUsage> areas)
    {
        json.WriteStartArray(name);
        foreach (var area in areas)
        {
            json.WriteStartObject();
            json.WriteString("name", area.Name);
            json.WriteNumber("objects", area.Objects);
            json.WriteNumber("bytes", area.Bytes);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
