using Microsoft.AspNetCore.Http;
using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// A lockbox grant token as a bearer credential on the Blob API, with a fake validator: Azure's
/// answers for tokens that are not grants, do not verify or name an inactive grant; the operator
/// and the grant as the actor, the justification in the context; the scope checked before dispatch.
/// </summary>
public sealed class GrantBearerTests
{
    private const string GrantToken = "srgrant1.valid";
    private const string Challenge = "Bearer authorization_uri=https://management.example:8443/v1/lockbox/requests resource_id=https://storage.azure.com";
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    private readonly List<(BlobProtocolHandler.FailureRecord Failure, OperationContext Context)> recorded = [];
    private readonly FakeGrants grants = new();

    private static OperatorGrant Grant(LockboxAccess access = LockboxAccess.ReadData, string? prefix = "allowed/", DateTimeOffset? endsOn = null) =>
        new("lbx-7", "tenant", "alice", "support", prefix, access, endsOn ?? Now.AddHours(1), "ticket 42: customer reports a corrupt export");

    private BlobProtocolHandler Handler(IOperatorGrantValidator? validator) =>
        new(
            Dev.UnreachableService(),
            Dev.Keys,
            new FixedTime(Now),
            new SeededRandomSource(7),
            new BlobProtocolOptions
            {
                // As --dev: plain HTTP is served, so the bearer rule itself is what refuses it.
                RequireHttps = false,
                OperatorGrants = validator,
                BearerAuthorizationUri = () => "https://management.example:8443/v1/lockbox/requests",
            },
            null,
            failure =>
            {
                recorded.Add((failure, OperationContext.Current));
                return Task.CompletedTask;
            });

    private async Task<HttpResponse> Send(string method, string target, string? authorization = "Bearer " + GrantToken, bool https = true, IOperatorGrantValidator? validator = null)
    {
        var headers = authorization is null ? new List<KeyValuePair<string, string>>() : [new("Authorization", authorization)];
        var context = new CapturedRequest(method, target, headers, []).ToHttpContext();
        context.Request.Scheme = https ? "https" : "http";
        await Handler(validator ?? grants).HandleAsync(context);
        return context.Response;
    }

    private static string ErrorCodeOf(HttpResponse response) => response.Headers["x-ms-error-code"].ToString();

    [Fact]
    public async Task A_grant_inside_its_scope_reaches_the_operation_as_the_operator_with_the_justification()
    {
        grants.Next = Grant();

        // Query Blob Contents is a content read inside the scope; this server answers it 501, after authorisation.
        var response = await Send("POST", "/tenant/support/allowed/x.log?comp=query");

        Assert.Equal(501, response.StatusCode);
        Assert.Equal([GrantToken], grants.Validated);
        var (failure, context) = Assert.Single(recorded);
        Assert.Equal(new Actor(ActorKind.Operator, "alice", "lbx-7"), failure.Actor);
        Assert.Equal("NotImplemented", failure.Outcome);
        Assert.Equal("ticket 42: customer reports a corrupt export", context.Justification);
        Assert.False(response.Headers.ContainsKey("WWW-Authenticate"));
    }

    [Theory]
    [InlineData("PUT", "/tenant/support/allowed/x.log")] // a write
    [InlineData("DELETE", "/tenant/support/allowed/x.log")]
    [InlineData("PUT", "/tenant/support/allowed/x.log?comp=metadata")]
    [InlineData("GET", "/tenant/other/allowed/x.log")] // another container
    [InlineData("GET", "/another/support/allowed/x.log")] // another account
    [InlineData("GET", "/tenant/support/other/x.log")] // outside the prefix
    [InlineData("GET", "/tenant/support/allowed/%2E%2E/other/x.log")] // a prefix escape, encoded so no client resolves it
    [InlineData("GET", "/tenant/support/allowed/../other/x.log")]
    [InlineData("GET", "/tenant/support?restype=container&comp=list")] // a listing without the prefix
    [InlineData("GET", "/tenant/support?restype=container&comp=list&prefix=other/")]
    [InlineData("GET", "/tenant?comp=list")] // List Containers
    public async Task Anything_outside_the_grant_is_refused_403_AuthorizationPermissionMismatch_and_recorded(string method, string target)
    {
        grants.Next = Grant();
        var response = await Send(method, target);

        Assert.Equal(403, response.StatusCode);
        Assert.Equal("AuthorizationPermissionMismatch", ErrorCodeOf(response));
        var (failure, context) = Assert.Single(recorded);
        Assert.Equal(new Actor(ActorKind.Operator, "alice", "lbx-7"), failure.Actor);
        Assert.Equal("AuthorizationPermissionMismatch", failure.Outcome);
        Assert.Equal(Grant().Justification, context.Justification);
    }

    [Fact]
    public async Task A_metadata_grant_does_not_read_content()
    {
        grants.Next = Grant(LockboxAccess.Metadata);
        var response = await Send("GET", "/tenant/support/allowed/x.log");

        Assert.Equal(403, response.StatusCode);
        Assert.Equal("AuthorizationPermissionMismatch", ErrorCodeOf(response));
    }

    [Fact]
    public async Task A_bearer_token_that_is_not_a_grant_is_401_with_azures_challenge()
    {
        var response = await Send("GET", "/tenant/support/allowed/x.log", "Bearer eyJhbGciOiJSUzI1NiJ9.garbage.sig");

        Assert.Equal(401, response.StatusCode);
        Assert.Equal("InvalidAuthenticationInfo", ErrorCodeOf(response));
        Assert.Equal(Challenge, response.Headers.WWWAuthenticate.ToString());
        Assert.Empty(grants.Validated);
        var (failure, _) = Assert.Single(recorded);
        Assert.Equal(new BlobProtocolHandler.FailureRecord("tenant", BlobOperation.GetBlob, "support", "allowed/x.log", "InvalidAuthenticationInfo", Actor.Anonymous), failure);
    }

    [Fact]
    public async Task A_grant_token_that_does_not_verify_is_401_with_the_challenge()
    {
        grants.Failure = ErrorCode.GrantTokenInvalid;
        var response = await Send("GET", "/tenant/support/allowed/x.log");

        Assert.Equal(401, response.StatusCode);
        Assert.Equal("InvalidAuthenticationInfo", ErrorCodeOf(response));
        Assert.Equal(Challenge, response.Headers.WWWAuthenticate.ToString());
        Assert.Equal(Actor.Anonymous, Assert.Single(recorded).Failure.Actor);
    }

    [Fact]
    public async Task A_grant_no_longer_active_is_403_AuthorizationFailure_and_recorded()
    {
        grants.Failure = ErrorCode.GrantNotActive;
        var response = await Send("GET", "/tenant/support/allowed/x.log");

        Assert.Equal(403, response.StatusCode);
        Assert.Equal("AuthorizationFailure", ErrorCodeOf(response));
        Assert.False(response.Headers.ContainsKey("WWW-Authenticate"));
        var (failure, _) = Assert.Single(recorded);
        Assert.Equal("AuthorizationFailure", failure.Outcome);
        Assert.Equal(Actor.Anonymous, failure.Actor);
    }

    [Fact]
    public async Task A_grant_past_its_end_on_the_handlers_clock_is_refused_even_if_the_validator_passed_it()
    {
        grants.Next = Grant(endsOn: Now);
        var response = await Send("GET", "/tenant/support/allowed/x.log?comp=tags");

        Assert.Equal(403, response.StatusCode);
        Assert.Equal("AuthorizationFailure", ErrorCodeOf(response));
    }

    [Fact]
    public async Task A_bearer_token_over_plain_http_is_refused_without_being_looked_at()
    {
        grants.Next = Grant();
        var response = await Send("GET", "/tenant/support/allowed/x.log?comp=tags", https: false);

        Assert.Equal(403, response.StatusCode);
        Assert.Equal("AuthenticationFailed", ErrorCodeOf(response));
        Assert.Empty(grants.Validated);
    }

    [Fact]
    public async Task Without_a_validator_every_bearer_token_is_401()
    {
        var context = new CapturedRequest("GET", "/tenant/support/allowed/x.log", [new("Authorization", "Bearer " + GrantToken)], []).ToHttpContext();
        context.Request.Scheme = "https";
        await Handler(null).HandleAsync(context);

        Assert.Equal(401, context.Response.StatusCode);
        Assert.Equal("InvalidAuthenticationInfo", ErrorCodeOf(context.Response));
        Assert.Equal(Challenge, context.Response.Headers.WWWAuthenticate.ToString());
    }

    [Fact]
    public async Task Without_an_authorization_uri_the_challenge_names_the_resource()
    {
        var handler = new BlobProtocolHandler(Dev.UnreachableService(), Dev.Keys, new FixedTime(Now), new SeededRandomSource(7), new BlobProtocolOptions(), null);
        var context = new CapturedRequest("GET", "/tenant/support/x", [new("Authorization", "Bearer nope")], []).ToHttpContext();
        context.Request.Scheme = "https";
        await handler.HandleAsync(context);

        Assert.Equal(401, context.Response.StatusCode);
        Assert.Equal("Bearer resource_id=https://storage.azure.com", context.Response.Headers.WWWAuthenticate.ToString());
    }

    [Theory]
    [InlineData("Bearer abc", true, "abc")]
    [InlineData("bearer abc", true, "abc")]
    [InlineData("BEARER  abc ", true, "abc")]
    [InlineData("Bearer", false, "")]
    [InlineData("Bearerabc", false, "")]
    [InlineData("SharedKey devstoreaccount1:c2ln", false, "")]
    public void Bearer_scheme_parsing(string authorization, bool bearer, string token)
    {
        Assert.Equal(bearer, BlobProtocolHandler.TryGetBearerToken(authorization, out var parsed));
        Assert.Equal(token, parsed);
    }

    private sealed class FakeGrants : IOperatorGrantValidator
    {
        public OperatorGrant? Next { get; set; }

        public ErrorCode? Failure { get; set; }

        public List<string> Validated { get; } = [];

        public bool IsGrantToken(string token) => token.StartsWith("srgrant1.", StringComparison.Ordinal);

        public Task<OperatorGrant> ValidateAsync(string token, CancellationToken cancellationToken = default)
        {
            Validated.Add(token);
            return Failure is { } code
                ? Task.FromException<OperatorGrant>(new StorageException(code))
                : Task.FromResult(Next ?? throw new InvalidOperationException("no grant set"));
        }
    }
}
