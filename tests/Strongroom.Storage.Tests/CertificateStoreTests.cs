using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>Destruction certificates in the store: revisions in order, the latest per destruction, kept after the account.</summary>
public sealed class CertificateStoreTests : StoreTestBase
{
    private static StoredCertificate Certificate(string id, int revision, string account = "acct", int minutes = 0) =>
        new(id, revision, account, T0.AddMinutes(minutes), [(byte)revision, 1, 2], [(byte)revision, 9]);

    [Fact]
    public async Task Revisions_are_numbered_in_order_and_the_latest_is_the_default()
    {
        Assert.True(await Store.PutCertificateAsync(Certificate("d1", 1)));
        Assert.False(await Store.PutCertificateAsync(Certificate("d1", 1)));
        Assert.False(await Store.PutCertificateAsync(Certificate("d1", 3)));
        Assert.True(await Store.PutCertificateAsync(Certificate("d1", 2, minutes: 5)));
        Assert.False(await Store.PutCertificateAsync(Certificate("d2", 2)));

        var latest = await Store.GetCertificateAsync("d1");
        Assert.NotNull(latest);
        Assert.Equal(2, latest.Revision);
        Assert.Equal([2, 1, 2], latest.Document);
        Assert.Equal([2, 9], latest.Signature);
        Assert.Equal(T0.AddMinutes(5), latest.IssuedOn);
        Assert.Equal(1, (await Store.GetCertificateAsync("d1", 1))!.Revision);
        Assert.Null(await Store.GetCertificateAsync("d1", 3));
        Assert.Null(await Store.GetCertificateAsync("d2"));
    }

    [Fact]
    public async Task A_listing_holds_the_latest_revision_of_each_of_the_accounts_certificates_newest_first()
    {
        Assert.True(await Store.PutCertificateAsync(Certificate("d1", 1, minutes: 0)));
        Assert.True(await Store.PutCertificateAsync(Certificate("d2", 1, minutes: 1)));
        Assert.True(await Store.PutCertificateAsync(Certificate("d1", 2, minutes: 2)));
        Assert.True(await Store.PutCertificateAsync(Certificate("d3", 1, account: "other", minutes: 3)));

        var listed = await Store.ListCertificatesAsync("acct", 100);
        Assert.Equal([("d1", 2), ("d2", 1)], listed.Select(certificate => (certificate.DestructionId, certificate.Revision)));
        Assert.Single(await Store.ListCertificatesAsync("acct", 1));
        Assert.Empty(await Store.ListCertificatesAsync("nobody", 100));
    }

    [Fact]
    public async Task A_put_commits_its_entry_and_a_refused_put_appends_none()
    {
        var entry = new AuditAppend("acct", T0, [1, 2, 3]);
        Assert.True(await Store.PutCertificateAsync(Certificate("d1", 1), entry));
        Assert.False(await Store.PutCertificateAsync(Certificate("d1", 1), entry));
        Assert.Equal(1, (await Store.GetAuditTreeHeadAsync("acct")).Size);
    }

    [Fact]
    public async Task Certificates_outlive_their_account_and_a_reopen()
    {
        await Store.CreateAccountAsync(Account("acct"));
        Assert.True(await Store.PutCertificateAsync(Certificate("d1", 1)));
        await Store.DeleteAccountAsync("acct");
        await ReopenAsync();
        Assert.NotNull(await Store.GetCertificateAsync("d1"));
        Assert.Single(await Store.ListCertificatesAsync("acct", 10));
    }
}
