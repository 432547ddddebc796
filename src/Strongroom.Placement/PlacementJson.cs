using System.Text.Json;

namespace Strongroom.Placement;

/// <summary>The JSON of a locations answer, shared by the tenant endpoint and <c>strongroom account locations --json</c>.</summary>
public static class PlacementJson
{
    /// <summary>
    /// <c>{"account","policy":{"residency","primaryRegion","secondaryRegion"?,"redundancy"},
    /// "summary":{"sites":[…],"regions":[…],"jurisdictions":[…]},"blobs":[{"container","blob",
    /// "length","objects":[{"id","bytes","copies":[{"site","region","zone","jurisdiction","state"}]}]}],
    /// "nextMarker"?}</c> (members inside the open root object).
    /// </summary>
    public static void WriteLocations(Utf8JsonWriter json, AccountLocations locations)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(locations);
        json.WriteString("account", locations.Account);
        json.WriteStartObject("policy");
        json.WriteStartArray("residency");
        foreach (var jurisdiction in locations.Policy.Residency)
        {
            json.WriteStringValue(jurisdiction);
        }

        json.WriteEndArray();
        json.WriteString("primaryRegion", locations.Policy.PrimaryRegion);
        if (locations.Policy.SecondaryRegion is not null)
        {
            json.WriteString("secondaryRegion", locations.Policy.SecondaryRegion);
        }

        json.WriteString("redundancy", locations.Policy.Redundancy.ToString());
        json.WriteEndObject();
        json.WriteStartObject("summary");
        json.WriteStartArray("sites");
        foreach (var site in locations.Summary.Sites)
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
        WriteAreas(json, "regions", locations.Summary.Regions);
        WriteAreas(json, "jurisdictions", locations.Summary.Jurisdictions);
        json.WriteEndObject();
        json.WriteStartArray("blobs");
        foreach (var blob in locations.Blobs)
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
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (locations.NextMarker is not null)
        {
            json.WriteString("nextMarker", locations.NextMarker);
        }
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
