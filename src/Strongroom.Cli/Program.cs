namespace Strongroom.Cli;

// PLACEHOLDER from the conformance branch: discard at merge in favour of the real CLI.
public static class Program
{
    public static int Main() => 0;
}
