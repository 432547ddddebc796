using System.Globalization;
using System.Text;
using Strongroom.Audit;
using Strongroom.Core;
using Xunit.Abstractions;

namespace Strongroom.Access.Tests;

/// <summary>
/// Seeded fault simulation of the lockbox (issue 6): the real identity and lockbox services over
/// the SQLite store and a fake clock, driven by a random sequence of requests, approvals, denials,
/// activations, ends, revocations, grant tokens issued and used, sign-ins, logouts, an operator
/// disabled, expiry sweeps, clock jumps (seconds to days, and exactly onto a pending expiry, a
/// grant's end or a session's idle limit) and crashes between steps (every service and the store
/// connection built anew over the same database file). Every refusal is a
/// <see cref="StorageException"/>, whose code the step log keeps.
///
/// An independent model in the test predicts every outcome; the checkers: each call succeeds
/// exactly when the model says it may (so a grant token validates only while its request is
/// active, before its end, approved by an administrator of its account and by a security admin
/// who is not the requester, and its operator's session is alive); no stored request reached
/// approved or active with the requester as an approver or with one side only; every request's
/// transitions appear in its account's log exactly once each, in order, with its justification,
/// and nothing else does; sign-ins, logouts and disables appear in the platform log; every log
/// verifies (signed checkpoint, entries, root, consistency with the previous verification); no
/// entry holds a password, TOTP secret, session token or grant token the test handled. A failure
/// prints the seed, the step and the last steps; replay with
/// <c>--filter "FullyQualifiedName~ApprovalSimulation"</c> and the seed.
/// </summary>
public sealed partial class ApprovalSimulationTests(ITestOutputHelper output)
{
    private const int Steps = 500;

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public Task Grants_follow_both_approvals_and_every_transition_is_logged_through_faults(int seed) => RunGrantsAsync(seed, output);

    /// <summary>
    /// Two more seeds of the same simulation in a class of their own: xunit runs a class's tests one
    /// after another and classes side by side, and the four seeds in one class were the whole
    /// project's critical path (about 40 of its 49 s on two cores).
    /// </summary>
    public sealed class MoreSeeds(ITestOutputHelper output)
    {
        [Theory]
        [InlineData(42)]
        [InlineData(20261130)]
        public Task Grants_follow_both_approvals_and_every_transition_is_logged_through_faults(int seed) => RunGrantsAsync(seed, output);
    }

    private static async Task RunGrantsAsync(int seed, ITestOutputHelper output)
    {
        var fixture = new AccessFixture();
        await fixture.InitializeAsync();
        try
        {
            var simulation = new Simulation(fixture, seed);
            await simulation.RunAsync();
            output.WriteLine(simulation.Summary());
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    private sealed class Simulation(AccessFixture f, int seed) : SimulationRun(seed, "lockbox")
    {
        private const string Missing = "initech";
        private static readonly string[] Accounts = [AccessFixture.Account, AccessFixture.OtherAccount];

        private readonly List<OperatorModel> operators = [];
        private readonly List<AuthenticatedPrincipal> tenantAdmins =
        [
            new(PrincipalKind.TenantAdmin, AccessFixture.Account, "tina", null, "session-tina"),
            new(PrincipalKind.TenantAdmin, AccessFixture.Account, "tom", null, "session-tom"),
            new(PrincipalKind.TenantAdmin, AccessFixture.OtherAccount, "gina", null, "session-gina"),
            new(PrincipalKind.TenantAdmin, AccessFixture.OtherAccount, "gus", null, "session-gus"),
        ];

        private readonly List<RequestModel> requests = [];
        private readonly List<TokenModel> tokens = [];
        private readonly List<string> secrets = [];
        private readonly Dictionary<string, LogReader> logs = new(StringComparer.Ordinal);
        private int requestNumber;

        private DateTimeOffset Now => f.Time.GetUtcNow();

        public async Task RunAsync()
        {
            await SetUpAsync();
            await CheckAsync(verify: true);
            for (Step = 1; Step <= Steps; Step++)
            {
                await RunStepAsync();
                await CheckAsync(verify: Step % 50 == 0);
            }

            // The end: one sweep records every due transition; then the model and the logs must agree exactly.
            Note("final sweep");
            await SweepAsync();
            await CheckAsync(verify: true);
            foreach (var request in requests)
            {
                Check(logs[request.Account].Actions(request.Id).SequenceEqual(request.Actions), $"{request.Id}: after the final sweep its log is {string.Join(",", logs[request.Account].Actions(request.Id))}, the model {string.Join(",", request.Actions)}");
            }
        }

        private async Task SetUpAsync()
        {
            // Another container, so requests name more than one scope.
            foreach (var account in Accounts)
            {
                await f.Store.CreateContainerAsync(new ContainerRecord(account, "videos", "\"0x1\"", Now, Now, []));
            }

            var first = await CreateOperatorAsync(null, "sam", OperatorRole.SecurityAdmin);
            var creator = new AuthenticatedPrincipal(PrincipalKind.Operator, PrincipalIds.NoAccount, first.Name, first.Role, "session-setup");
            await CreateOperatorAsync(creator, "sue", OperatorRole.SecurityAdmin);
            await CreateOperatorAsync(creator, "sid", OperatorRole.SecurityAdmin);
            await CreateOperatorAsync(creator, "olga", OperatorRole.SystemAdmin);
            await CreateOperatorAsync(creator, "otto", OperatorRole.SystemAdmin);
            await CreateOperatorAsync(creator, "abe", OperatorRole.AuditAdmin);
            foreach (var name in new[] { AccessFixture.Account, AccessFixture.OtherAccount, AuditLogs.Platform })
            {
                logs[name] = new LogReader(name);
            }
        }

        private async Task<OperatorModel> CreateOperatorAsync(AuthenticatedPrincipal? caller, string name, OperatorRole role)
        {
            var password = $"Sim-{name}-{Seed}-Pw7!";
            var enrolled = await f.Identities.CreateOperatorAsync(caller, name, role, password);
            var model = new OperatorModel(name, role, password, enrolled.TotpSecretBase32);
            secrets.Add(password);
            secrets.Add(enrolled.TotpSecretBase32);
            secrets.Add(enrolled.OtpAuthUri);
            operators.Add(model);
            Count("operators created");
            return model;
        }

        private async Task RunStepAsync()
        {
            var roll = Random.Next(100);
            switch (roll)
            {
                case < 12: await RequestAsync(); break;
                case < 32: await ApproveAsync(); break;
                case < 35: await DenyAsync(); break;
                case < 45: await ActivateAsync(); break;
                case < 48: await EndAsync(); break;
                case < 51: await RevokeAsync(); break;
                case < 59: await IssueTokenAsync(); break;
                case < 73: await ValidateAsync(); break;
                case < 83: JumpClock(); break;
                case < 86: await SweepAsync(); break;
                case < 89: await LogoutAsync(); break;
                case < 90: await DisableAsync(); break;
                case < 93: await CrashAsync(); break;
                default: await LoginAsync(Pick(operators)); break;
            }
        }

        // ---- Steps --------------------------------------------------------------------------

        private async Task RequestAsync()
        {
            var op = Pick(operators);
            var account = Random.Next(10) switch { 0 => Missing, < 6 => AccessFixture.Account, _ => AccessFixture.OtherAccount };
            var container = Random.Next(10) switch { 0 => "missing", < 6 => "photos", _ => "videos" };
            string? prefix = Random.Next(3) switch { 0 => null, 1 => "thumbnails/", _ => "a/b/" };
            var access = Random.Next(2) == 0 ? LockboxAccess.Metadata : LockboxAccess.ReadData;
            TimeSpan[] durations = [TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(50), TimeSpan.FromHours(3), Limits.GrantDurationMax, Limits.GrantDurationMax + TimeSpan.FromSeconds(1)];
            var duration = durations[Random.Next(durations.Length)];
            var justification = string.Create(CultureInfo.InvariantCulture, $"Ticket {Seed}-{++requestNumber}: look at {container}");
            Note($"request by {op.Name}: {account}/{container}/{prefix} {access} {duration}");
            var caller = await CallerAsync(op);
            if (caller is null)
            {
                return;
            }

            var expected = account != Missing && container != "missing" && duration <= Limits.GrantDurationMax;
            var spec = new LockboxRequestSpec(account, container, prefix, access, duration, justification);
            var result = await TryAsync(() => f.Lockbox.RequestAsync(caller, spec));
            Expect(expected, result.Code, "request");
            if (result.Value is { } record)
            {
                Check(record.State == LockboxState.Requested && record.Requester == op.Name && record.PendingExpiresOn == Now + f.Options.RequestPendingLifetime, $"request {record.Id} came back as {record}");
                var model = new RequestModel(record.Id, account, container, prefix, access, duration, justification, op.Name, Now + f.Options.RequestPendingLifetime);
                model.Actions.Add(AuditActions.LockboxRequest);
                requests.Add(model);
                Note($"  -> {record.Id}");
            }
        }

        private async Task ApproveAsync()
        {
            if (PickRequest(LockboxState.Requested) is not { } request)
            {
                return;
            }

            var (caller, op) = await PickDeciderAsync(request);
            if (caller is null)
            {
                return;
            }

            Note($"approve {request.Id} by {caller.Id}");
            Settle(request);
            var side = Side(caller, request);
            var expected = side is not null && request.State == LockboxState.Requested
                && (side == "tenant" ? request.TenantApprover is null : request.SecurityApprover is null);
            var result = await TryAsync(() => f.Lockbox.ApproveAsync(caller, request.Id));
            Expect(expected, result.Code, $"approve of {request} by {caller.Id} ({op?.Role.ToString() ?? "tenant admin"})");
            if (result.Value is { } record)
            {
                if (side == "tenant")
                {
                    request.TenantApprover = caller.Id;
                }
                else
                {
                    request.SecurityApprover = caller.Id;
                }

                if (request.TenantApprover is not null && request.SecurityApprover is not null)
                {
                    request.State = LockboxState.Approved;
                }

                request.Actions.Add(AuditActions.LockboxApprove);
                CheckRow(request, record);
            }
        }

        private async Task DenyAsync()
        {
            if (PickRequest(LockboxState.Requested) is not { } request)
            {
                return;
            }

            var (caller, _) = await PickDeciderAsync(request);
            if (caller is null)
            {
                return;
            }

            Note($"deny {request.Id} by {caller.Id}");
            Settle(request);
            var expected = Side(caller, request) is not null && request.State == LockboxState.Requested;
            var result = await TryAsync(() => f.Lockbox.DenyAsync(caller, request.Id, Random.Next(2) == 0 ? null : "not now"));
            Expect(expected, result.Code, $"deny of {request} by {caller.Id}");
            if (result.Value is { } record)
            {
                request.State = LockboxState.Denied;
                request.Actions.Add(AuditActions.LockboxDeny);
                CheckRow(request, record);
            }
        }

        private async Task ActivateAsync()
        {
            if (PickRequest(LockboxState.Approved) is not { } request)
            {
                return;
            }

            var op = RequesterOrAnother(request);
            Note($"activate {request.Id} by {op.Name}");
            var caller = await CallerAsync(op);
            if (caller is null)
            {
                return;
            }

            Settle(request);
            var expected = op.Name == request.Requester && request.State == LockboxState.Approved;
            var result = await TryAsync(() => f.Lockbox.ActivateAsync(caller, request.Id));
            Expect(expected, result.Code, $"activate of {request} by {op.Name}");
            if (result.Value is { } record)
            {
                request.State = LockboxState.Active;
                request.EndsOn = Now + request.Duration;
                request.Actions.Add(AuditActions.LockboxActivate);
                CheckRow(request, record);
                if (Random.Next(2) == 0)
                {
                    // The usual next call: a token for the grant just started.
                    Note($"token for {request.Id} by {op.Name}");
                    await IssueTokenAsync(request, op, caller);
                }
            }
        }

        private async Task EndAsync()
        {
            if (PickRequest(LockboxState.Active) is not { } request)
            {
                return;
            }

            var op = RequesterOrAnother(request);
            Note($"end {request.Id} by {op.Name}");
            var caller = await CallerAsync(op);
            if (caller is null)
            {
                return;
            }

            Settle(request);
            var expected = op.Name == request.Requester && request.State == LockboxState.Active;
            var result = await TryAsync(() => f.Lockbox.EndAsync(caller, request.Id));
            Expect(expected, result.Code, $"end of {request} by {op.Name}");
            if (result.Value is { } record)
            {
                request.State = LockboxState.Ended;
                request.Actions.Add(AuditActions.LockboxEnd);
                CheckRow(request, record);
            }
        }

        private async Task RevokeAsync()
        {
            if (PickRequest(Random.Next(2) == 0 ? LockboxState.Active : LockboxState.Approved) is not { } request)
            {
                return;
            }

            var (caller, _) = await PickDeciderAsync(request);
            if (caller is null)
            {
                return;
            }

            Note($"revoke {request.Id} by {caller.Id}");
            Settle(request);
            var expected = CanSee(caller, request)
                && (caller.IsTenantAdminOf(request.Account) || caller.IsOperator(OperatorRole.SecurityAdmin))
                && request.State is LockboxState.Approved or LockboxState.Active;
            var result = await TryAsync(() => f.Lockbox.RevokeAsync(caller, request.Id));
            Expect(expected, result.Code, $"revoke of {request} by {caller.Id}");
            if (result.Value is { } record)
            {
                request.State = LockboxState.Revoked;
                request.Actions.Add(AuditActions.LockboxRevoke);
                CheckRow(request, record);
            }
        }

        private async Task IssueTokenAsync()
        {
            if (PickRequest(LockboxState.Active) is not { } request)
            {
                return;
            }

            var op = RequesterOrAnother(request);
            Note($"token for {request.Id} by {op.Name}");
            var caller = await CallerAsync(op);
            if (caller is null)
            {
                return;
            }

            await IssueTokenAsync(request, op, caller);
        }

        private async Task IssueTokenAsync(RequestModel request, OperatorModel op, AuthenticatedPrincipal caller)
        {
            Settle(request);
            var expected = op.Name == request.Requester && request.State == LockboxState.Active;
            var result = await TryAsync(() => f.Lockbox.IssueTokenAsync(caller, request.Id));
            Expect(expected, result.Code, $"token for {request} by {op.Name}");
            if (result.Value is { } issued)
            {
                Check(issued.ExpiresOn == request.EndsOn, $"token of {request.Id} expires {issued.ExpiresOn:O}, the grant ends {request.EndsOn:O}");
                request.TokensIssued++;
                tokens.Add(new TokenModel(issued.Token, request, op, op.Session!));
                secrets.Add(issued.Token);
                secrets.Add(issued.Token[(issued.Token.LastIndexOf('.') + 1)..]);
            }
        }

        private async Task ValidateAsync()
        {
            if (tokens.Count == 0)
            {
                return;
            }

            // Mostly recent tokens or tokens of active grants: old ones are refused for dull reasons.
            var live = tokens.Where(candidate => candidate.Request.State == LockboxState.Active).ToList();
            var token = Random.Next(3) switch
            {
                0 => Pick(tokens),
                1 when live.Count > 0 => Pick(live),
                _ => tokens[Math.Max(0, tokens.Count - 1 - Random.Next(4))],
            };
            var request = token.Request;
            Note($"validate a token of {request.Id} (session {token.Session.Id[..8]} of {token.Operator.Name})");
            Settle(request);
            var now = Now;
            var expected = request.State == LockboxState.Active
                && now < request.EndsOn
                && request.TenantApprover is { } tenant && tenant.StartsWith(request.Account + "/", StringComparison.Ordinal)
                && request.SecurityApprover is { } security && security != request.Requester && IsSecurityAdmin(security)
                && token.Operator.Name == request.Requester
                && token.Session.Alive(now, token.Operator);
            var result = await TryAsync(() => f.Lockbox.ValidateAsync(token.Value));
            Expect(expected, result.Code, $"validate of a token of {request} (session alive: {token.Session.Alive(now, token.Operator)}, operator disabled: {token.Operator.Disabled})");
            if (result.Value is { } grant)
            {
                token.Session.Touch(now);
                Check(
                    grant.GrantId == request.Id && grant.Account == request.Account && grant.Container == request.Container && grant.Prefix == request.Prefix
                        && grant.Access == request.Access && grant.Operator == request.Requester && grant.EndsOn == request.EndsOn && grant.Justification == request.Justification,
                    $"the grant of {request.Id} validated as {grant}");
                Count("tokens accepted");
            }
            else if (result.Code is { } code)
            {
                Check(code is ErrorCode.GrantNotActive or ErrorCode.GrantTokenInvalid, $"validate refused with {code}, not GrantNotActive");
            }
        }

        private void JumpClock()
        {
            TimeSpan jump;
            var kind = Random.Next(20);
            var active = requests.Where(r => r.State == LockboxState.Active && r.EndsOn > Now).Select(Deadline).ToList();
            var pending = requests.Where(r => r.State is LockboxState.Requested or LockboxState.Approved && r.PendingExpiresOn > Now).Select(Deadline).ToList();
            if ((kind < 4 && active.Count > 0) || (kind == 4 && pending.Count > 0))
            {
                // Exactly onto a grant's end or a pending expiry, or a millisecond short of it.
                jump = Pick(kind < 4 && active.Count > 0 ? active : pending) - Now - (Random.Next(2) == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(1));
            }
            else if (kind < 9 && operators.Select(op => op.Session).OfType<SessionModel>().Where(s => !s.Ended).ToList() is { Count: > 0 } sessions)
            {
                // Exactly onto a session's idle or absolute limit, or a millisecond short of it.
                var session = Pick(sessions);
                var limit = Random.Next(3) == 0 ? session.CreatedOn + Limits.SessionLifetimeMax : session.LastSeenOn + Limits.SessionIdleTimeout;
                jump = limit - Now - (Random.Next(2) == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(1));
            }
            else
            {
                TimeSpan[] jumps = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(31), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(16), TimeSpan.FromHours(1), TimeSpan.FromHours(3), TimeSpan.FromHours(8)];
                jump = kind == 19 ? TimeSpan.FromDays(1 + Random.Next(4)) : Pick(jumps);
            }

            if (jump <= TimeSpan.Zero)
            {
                return;
            }

            Note($"clock +{jump}");
            f.Time.Advance(jump);
            Count("clock jumps");
        }

        private async Task SweepAsync()
        {
            // What the sweep must move: every request whose due transition no read recorded yet.
            var pending = 0;
            foreach (var request in requests)
            {
                Settle(request);
                if (request.EndedByTime && logs[request.Account].Actions(request.Id).Count == request.Actions.Count - 1)
                {
                    pending++;
                }
            }

            var moved = await f.Lockbox.ExpireDueAsync();
            Note($"sweep: {moved} moved");
            Check(moved == pending, $"the sweep moved {moved} requests, {pending} were due and unrecorded");
        }

        private async Task LogoutAsync()
        {
            var withSessions = operators.Where(op => op.Session is not null).ToList();
            if (withSessions.Count == 0)
            {
                return;
            }

            var op = Pick(withSessions);
            var session = op.Session!;
            Note($"logout {op.Name} (session {session.Id[..8]}, ended: {session.Ended})");
            var result = await TryAsync(async () =>
            {
                await f.Identities.LogoutAsync(session.Token);
                return true;
            });
            Expect(true, result.Code, "logout");
            if (!session.Ended)
            {
                session.Ended = true;
                op.Logouts++;
            }
        }

        private async Task DisableAsync()
        {
            // Rarely, and at most twice a run: a disabled operator never comes back.
            if (operators.Count(o => o.Disabled) >= 2)
            {
                return;
            }

            var op = Pick(operators.Where(op => op.Role == OperatorRole.SecurityAdmin).ToList());
            var target = Pick(operators);
            Note($"disable {target.Name} by {op.Name}");
            var caller = await CallerAsync(op);
            if (caller is null)
            {
                return;
            }

            var lastSecurityAdmin = target.Role == OperatorRole.SecurityAdmin && !target.Disabled
                && operators.Count(o => o.Role == OperatorRole.SecurityAdmin && !o.Disabled) <= 1;
            var expected = target != op && !lastSecurityAdmin;
            var result = await TryAsync(async () =>
            {
                await f.Identities.DisableOperatorAsync(caller, target.Name);
                return true;
            });
            Expect(expected, result.Code, $"disable of {target.Name} by {op.Name}");
            if (result.Value && !target.Disabled)
            {
                target.Disabled = true;
                target.Disables++;
                foreach (var session in target.Sessions)
                {
                    session.Ended = true;
                }
            }
        }

        private async Task CrashAsync()
        {
            Note("crash: every service and the store connection built anew over the same database");
            await f.ReopenAsync();
            Count("crashes");
        }

        /// <summary>Signs <paramref name="op"/> in with its code of the current Step (only when that Step was not used already).</summary>
        private async Task LoginAsync(OperatorModel op)
        {
            var now = Now;
            var totpStep = Totp.StepAt(now);
            if (op.Disabled || totpStep <= op.LastStep)
            {
                return;
            }

            Note($"login {op.Name}");
            var code = Totp.CodeAt(OtpNet.Base32Encoding.ToBytes(op.Secret), totpStep);
            var result = await TryAsync(() => f.Identities.LoginAsync(PrincipalKind.Operator, PrincipalIds.NoAccount, op.Name, op.Password, code));
            Expect(true, result.Code, $"login of {op.Name}");
            if (result.Value is { } login)
            {
                Check(login.SessionToken.StartsWith(IdentityService.SessionTokenPrefix, StringComparison.Ordinal), "a session token has its prefix");
                op.LastStep = totpStep;
                op.Logins++;
                op.Session = new SessionModel(login.SessionToken, login.Principal.SessionId, now);
                op.Sessions.Add(op.Session);
                secrets.Add(login.SessionToken);
            }
        }

        // ---- Callers ------------------------------------------------------------------------

        /// <summary>
        /// What the management plane does before a call: authenticate the operator's session (which
        /// touches it). A dead session is signed in again half the time first (as a client would).
        /// Null when the plane refuses (the model predicts which).
        /// </summary>
        private async Task<AuthenticatedPrincipal?> CallerAsync(OperatorModel op)
        {
            if ((op.Session is null || !op.Session.Alive(Now, op)) && Random.Next(4) != 0)
            {
                await LoginAsync(op);
            }

            if (op.Session is not { } session)
            {
                Note($"  {op.Name} has no session");
                return null;
            }

            var alive = session.Alive(Now, op);
            var result = await TryAsync(() => f.Identities.AuthenticateSessionAsync(session.Token));
            Expect(alive, result.Code, $"authentication of {op.Name}'s session");
            if (result.Value is { } principal)
            {
                session.Touch(Now);
                Check(principal.Name == op.Name && principal.Role == op.Role && principal.SessionId == session.Id, $"{op.Name}'s session authenticated as {principal}");
            }

            return result.Value;
        }

        /// <summary>A tenant administrator (of either account) or an operator through its session.</summary>
        private async Task<(AuthenticatedPrincipal? Caller, OperatorModel? Operator)> PickDeciderAsync(RequestModel request)
        {
            var roll = Random.Next(10);
            if (roll < 4 || (roll < 5 && request.TenantApprover is null))
            {
                // Mostly of the request's account.
                List<AuthenticatedPrincipal> admins = Random.Next(6) == 0 ? tenantAdmins : [.. tenantAdmins.Where(admin => admin.Account == request.Account)];
                return (Pick(admins), null);
            }

            // Mostly a security admin; sometimes the requester itself, or anyone.
            var op = roll switch
            {
                5 => operators.First(o => o.Name == request.Requester),
                < 8 => Pick(operators.Where(o => o.Role == OperatorRole.SecurityAdmin).ToList()),
                _ => Pick(operators),
            };
            return (await CallerAsync(op), op);
        }

        private OperatorModel RequesterOrAnother(RequestModel request) =>
            Random.Next(5) == 0 ? Pick(operators) : operators.First(op => op.Name == request.Requester);

        // ---- The model ----------------------------------------------------------------------

        /// <summary>The side a caller decides for, as the rules say (null: it may not decide).</summary>
        private static string? Side(AuthenticatedPrincipal caller, RequestModel request)
        {
            if (caller.IsTenantAdminOf(request.Account))
            {
                return "tenant";
            }

            return caller.IsOperator(OperatorRole.SecurityAdmin) && caller.Name != request.Requester ? "security" : null;
        }

        private static bool CanSee(AuthenticatedPrincipal caller, RequestModel request) => caller.Kind == PrincipalKind.TenantAdmin
            ? caller.IsTenantAdminOf(request.Account)
            : caller.IsOperator(OperatorRole.SecurityAdmin) || caller.IsOperator(OperatorRole.AuditAdmin) || caller.Name == request.Requester;

        private bool IsSecurityAdmin(string id) => operators.Any(op => op.Name == id && op.Role == OperatorRole.SecurityAdmin);

        /// <summary>Time moves a request: unanswered or unused past its pending expiry, a grant past its end.</summary>
        private void Settle(RequestModel request)
        {
            var now = Now;
            if (request.State is LockboxState.Requested or LockboxState.Approved && now >= request.PendingExpiresOn)
            {
                request.State = LockboxState.Expired;
                request.EndedByTime = true;
                request.Actions.Add(AuditActions.LockboxExpire);
            }
            else if (request.State == LockboxState.Active && now >= request.EndsOn)
            {
                request.State = LockboxState.Ended;
                request.EndedByTime = true;
                request.Actions.Add(AuditActions.LockboxEnd);
            }
        }

        private static bool Final(LockboxState state) => state is LockboxState.Denied or LockboxState.Expired or LockboxState.Ended or LockboxState.Revoked;

        private static DateTimeOffset Deadline(RequestModel request) => request.State == LockboxState.Active ? request.EndsOn!.Value : request.PendingExpiresOn;

        /// <summary>A request to act on: mostly one in <paramref name="state"/> (as the model sees it now), else any.</summary>
        private RequestModel? PickRequest(LockboxState state)
        {
            if (requests.Count == 0)
            {
                return null;
            }

            foreach (var request in requests)
            {
                Settle(request);
            }

            var inState = requests.Where(request => request.State == state).ToList();
            if (inState.Count == 0)
            {
                return Random.Next(3) == 0 ? Pick(requests) : null;
            }

            return Random.Next(5) != 0 ? Pick(inState) : Pick(requests);
        }

        // ---- Checkers -----------------------------------------------------------------------

        private async Task CheckAsync(bool verify)
        {
            foreach (var reader in logs.Values)
            {
                foreach (var body in await reader.ReadNewAsync(f.Audit))
                {
                    var text = Encoding.UTF8.GetString(body);
                    foreach (var secret in secrets)
                    {
                        Check(!text.Contains(secret, StringComparison.Ordinal), $"an entry of log {reader.Log} contains a secret the test handled ({secret[..Math.Min(6, secret.Length)]}...)");
                    }
                }
            }

            var platform = logs[AuditLogs.Platform];
            foreach (var op in operators)
            {
                Check(platform.Count(AuditActions.Login, op.Name, AuditOutcomes.Success) == op.Logins, $"{op.Name}: {op.Logins} sign-ins, {platform.Count(AuditActions.Login, op.Name, AuditOutcomes.Success)} in the platform log");
                Check(platform.Count(AuditActions.Logout, op.Name, AuditOutcomes.Success) == op.Logouts, $"{op.Name}: {op.Logouts} logouts, {platform.Count(AuditActions.Logout, op.Name, AuditOutcomes.Success)} in the platform log");
                Check(platform.Count(AuditActions.DisableOperator, "operator:" + op.Name, AuditOutcomes.Success, byResource: true) == op.Disables, $"{op.Name}: disabled {op.Disables} times, other entries in the platform log");
            }

            Check(platform.Count(AuditActions.CreateOperator, null, AuditOutcomes.Success) == operators.Count, "every operator created has its entry");

            var stored = new Dictionary<string, LockboxRequestRecord>(StringComparer.Ordinal);
            foreach (var record in await ((Storage.ILockboxStore)f.Store).ListLockboxRequestsAsync(null, null, null, Limits.AccessRequestsPageMax))
            {
                stored[record.Id] = record;
                CheckApprovals(record);
            }

            Check(stored.Count == requests.Count, $"the store holds {stored.Count} requests, the model {requests.Count}");
            foreach (var account in Accounts)
            {
                foreach (var id in logs[account].RequestIds)
                {
                    Check(requests.Any(request => request.Id == id && request.Account == account), $"log {account} has entries of request {id}, which the model does not know in that account");
                }
            }

            foreach (var request in requests)
            {
                Settle(request);
                var row = stored[request.Id];
                var logged = logs[request.Account].Actions(request.Id);
                if (row.State == request.State)
                {
                    Check(logged.SequenceEqual(request.Actions), $"{request.Id} ({AccessNames.StateName(row.State)}): logged {string.Join(",", logged)}, the model {string.Join(",", request.Actions)}");
                }
                else
                {
                    // Only time may be ahead of the store: the due transition no read or sweep recorded yet.
                    Check(request.EndedByTime && logged.SequenceEqual(request.Actions.Take(request.Actions.Count - 1)), $"{request.Id}: stored {AccessNames.StateName(row.State)}, the model {AccessNames.StateName(request.State)}; logged {string.Join(",", logged)}, the model {string.Join(",", request.Actions)}");
                }

                Check(row.TenantApprover == request.TenantApprover && row.SecurityApprover == request.SecurityApprover && row.Requester == request.Requester, $"{request.Id}: stored approvers {row.TenantApprover}/{row.SecurityApprover}, the model {request.TenantApprover}/{request.SecurityApprover}");
                Check(request.EndsOn is null || row.EndsOn == request.EndsOn, $"{request.Id}: stored end {row.EndsOn:O}, the model {request.EndsOn:O}");
                Check(logs[request.Account].Count(AuditActions.LockboxIssueToken, request.Id, AuditOutcomes.Success) == request.TokensIssued, $"{request.Id}: {request.TokensIssued} tokens issued, {logs[request.Account].Count(AuditActions.LockboxIssueToken, request.Id, AuditOutcomes.Success)} IssueToken entries");
                foreach (var entry in logs[request.Account].Entries(request.Id))
                {
                    Check(entry.Justification == request.Justification, $"{request.Id}: an entry {entry.Action} carries justification '{entry.Justification}'");
                    var bySystem = entry.Actor.Kind == ActorKind.System;
                    Check(
                        bySystem == (entry.Action == AuditActions.LockboxExpire || (entry.Action == AuditActions.LockboxEnd && request.EndedByTime)),
                        $"{request.Id}: {entry.Action} attributed to {entry.Actor.Kind} {entry.Actor.Id}");
                }
            }

            if (verify)
            {
                await VerifyLogsAsync(f, logs.Keys);
            }
        }

        /// <summary>No stored request reached approval (or beyond) without both sides, or with the requester as an approver.</summary>
        private void CheckApprovals(LockboxRequestRecord record)
        {
            var wasApproved = record.State is LockboxState.Approved or LockboxState.Active or LockboxState.Revoked
                || record.ActivatedOn is not null
                || (record.State == LockboxState.Expired && record.EndedBy is not null);
            if (record.TenantApprover is { } tenant)
            {
                Check(tenant.StartsWith(record.Account + "/", StringComparison.Ordinal), $"{record.Id}: tenant approver {tenant} administers another account than {record.Account}");
            }

            if (record.SecurityApprover is { } security)
            {
                Check(security != record.Requester && IsSecurityAdmin(security), $"{record.Id}: security approver {security} is the requester or no security admin");
            }

            if (wasApproved)
            {
                Check(record.TenantApprover is not null && record.SecurityApprover is not null, $"{record.Id} is {AccessNames.StateName(record.State)} with approvers {record.TenantApprover}/{record.SecurityApprover}");
            }
        }

        private void CheckRow(RequestModel request, LockboxRequestRecord record) =>
            Check(
                record.Id == request.Id && record.State == request.State && record.TenantApprover == request.TenantApprover && record.SecurityApprover == request.SecurityApprover
                    && (request.EndsOn is null || record.EndsOn == request.EndsOn),
                $"{request.Id} came back as {record}, the model says {request}");

        // ---- Plumbing -----------------------------------------------------------------------

        public string Summary()
        {
            var states = requests.GroupBy(request => request.State).Select(group => $"{AccessNames.StateName(group.Key)} {group.Count()}");
            return string.Create(CultureInfo.InvariantCulture, $"seed {Seed}: {requests.Count} requests ({string.Join(", ", states)}), {tokens.Count} tokens; ") + CountsText();
        }

    }

    private sealed class OperatorModel(string name, OperatorRole role, string password, string secret)
    {
        public string Name => name;

        public OperatorRole Role => role;

        public string Password => password;

        public string Secret => secret;

        public bool Disabled { get; set; }

        public long LastStep { get; set; }

        public SessionModel? Session { get; set; }

        public List<SessionModel> Sessions { get; } = [];

        public int Logins { get; set; }

        public int Logouts { get; set; }

        public int Disables { get; set; }
    }

    /// <summary>A session as the identity service keeps it: the last use is written at most every 30 seconds.</summary>
    private sealed class SessionModel(string token, string id, DateTimeOffset createdOn)
    {
        public string Token => token;

        public string Id => id;

        public DateTimeOffset CreatedOn { get; } = createdOn;

        public DateTimeOffset LastSeenOn { get; private set; } = createdOn;

        public bool Ended { get; set; }

        public bool Alive(DateTimeOffset now, OperatorModel holder) =>
            !Ended && !holder.Disabled && now - LastSeenOn < Limits.SessionIdleTimeout && now - CreatedOn < Limits.SessionLifetimeMax;

        public void Touch(DateTimeOffset now)
        {
            if (now - LastSeenOn >= TimeSpan.FromSeconds(30))
            {
                LastSeenOn = now;
            }
        }
    }

    private sealed record RequestModel(string Id, string Account, string Container, string? Prefix, LockboxAccess Access, TimeSpan Duration, string Justification, string Requester, DateTimeOffset PendingExpiresOn)
    {
        public LockboxState State { get; set; } = LockboxState.Requested;

        public string? TenantApprover { get; set; }

        public string? SecurityApprover { get; set; }

        public DateTimeOffset? EndsOn { get; set; }

        /// <summary>Its last transition was time's (expired, or ended at its end): recorded by the next read or sweep.</summary>
        public bool EndedByTime { get; set; }

        /// <summary>The actions its account's log must show for it, in order (token issues counted apart).</summary>
        public List<string> Actions { get; } = [];

        public int TokensIssued { get; set; }

        public override string ToString() =>
            $"{Id} ({AccessNames.StateName(State)}, requester {Requester}, approvers {TenantApprover ?? "-"}/{SecurityApprover ?? "-"}, pending until {PendingExpiresOn:O}, ends {EndsOn:O})";
    }

    private sealed record TokenModel(string Value, RequestModel Request, OperatorModel Operator, SessionModel Session);

    /// <summary>One log read incrementally: its decoded entries, indexed by the request they name.</summary>
    private sealed class LogReader(string log)
    {
        private readonly List<AuditEntry> entries = [];
        private readonly Dictionary<string, List<AuditEntry>> byRequest = new(StringComparer.Ordinal);

        public string Log => log;

        public IEnumerable<string> RequestIds => byRequest.Keys;

        /// <summary>Reads and decodes the entries appended since the last call; returns their bodies.</summary>
        public async Task<IReadOnlyList<byte[]>> ReadNewAsync(TransparencyLog audit)
        {
            var head = await audit.GetTreeHeadAsync(log);
            if (head.Size == entries.Count)
            {
                return [];
            }

            var stored = await audit.ReadEntriesAsync(log, entries.Count, head.Size);
            var bodies = new List<byte[]>(stored.Count);
            foreach (var item in stored)
            {
                Assert.Equal(entries.Count, item.Index);
                var entry = AuditEntry.Decode(item.Body!);
                entries.Add(entry);
                bodies.Add(item.Body!);
                if (entry.Details.FirstOrDefault(detail => detail.Key == "request").Value is { } id)
                {
                    if (!byRequest.TryGetValue(id, out var list))
                    {
                        byRequest[id] = list = [];
                    }

                    list.Add(entry);
                }
            }

            return bodies;
        }

        public IReadOnlyList<AuditEntry> TransferEntries(string transferId) =>
            [.. entries.Where(entry => entry.Details.Any(detail => detail.Key == "transferId" && detail.Value == transferId))];

        /// <summary>A transfer's transitions as logged (its copies left out).</summary>
        public List<string> TransferActions(string transferId) =>
            [.. TransferEntries(transferId).Where(entry => entry.Action != AuditActions.TransferCopy).Select(entry => entry.Action)];

        /// <summary>The objects a transfer's Transfer.Copy entries name.</summary>
        public List<string> CopyEntries(string transferId) =>
            [.. TransferEntries(transferId).Where(entry => entry.Action == AuditActions.TransferCopy).Select(entry => entry.Details.First(detail => detail.Key == "objectId").Value)];

        public IReadOnlyList<AuditEntry> Entries(string requestId) => byRequest.TryGetValue(requestId, out var list) ? list : [];

        /// <summary>The request's transitions as logged (token issues left out).</summary>
        public List<string> Actions(string requestId) =>
            [.. Entries(requestId).Where(entry => entry.Action != AuditActions.LockboxIssueToken).Select(entry => entry.Action)];

        /// <summary>Entries of <paramref name="action"/> with <paramref name="outcome"/> by actor (or naming the request, or the resource) <paramref name="who"/>; null: any.</summary>
        public int Count(string action, string? who, string outcome, bool byResource = false) => entries.Count(entry =>
            entry.Action == action && entry.Outcome == outcome
            && (who is null || (byResource ? entry.Resource == who : entry.Actor.Id == who || entry.Details.Any(detail => detail.Key == "request" && detail.Value == who))));
    }

    /// <summary>A log as the store holds it, for the verifier (which trusts none of it).</summary>
    private sealed class StoreLogSource(TransparencyLog audit, string log) : ILogSource
    {
        public async Task<string> GetCheckpointAsync(CancellationToken cancellationToken = default) =>
            (await audit.GetCheckpointAsync(log, cancellationToken)).Note;

        public async Task<LogEntryPage> GetEntriesAsync(long start, long end, CancellationToken cancellationToken = default)
        {
            var stored = await audit.ReadEntriesAsync(log, start, Math.Min(end, start + Limits.AuditEntriesPageMax), cancellationToken);
            return new LogEntryPage([.. stored.Select(entry => new LogSourceEntry(entry.Index, entry.LeafHash, entry.Body))]);
        }

        public Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long first, long second, CancellationToken cancellationToken = default) =>
            audit.GetConsistencyProofAsync(log, first, second, cancellationToken);
    }
}
