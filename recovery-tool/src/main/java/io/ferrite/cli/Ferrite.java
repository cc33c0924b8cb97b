package io.ferrite.cli;

import io.ferrite.FerriteException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code ferrite} command. Exit codes follow fsck: 0 clean, 1 repaired, 4 errors left,
 * 8 usage or operational error. Errors are one line; {@code --verbose} adds the stack trace.
 */
@Command(name = "ferrite",
        mixinStandardHelpOptions = true,
        versionProvider = Ferrite.Version.class,
        subcommands = {DemoCommand.class, CommandLine.HelpCommand.class},
        usageHelpAutoWidth = true,
        description = {
            "Inspect, check and recover Ferrite persistent-memory pools and logs.",
            "",
            "Ferrite keeps a slab-based object heap and a group-committed redo log in a file mapped",
            "from persistent memory (DAX with MAP_SYNC) or from tmpfs, which emulates it."},
        footerHeading = "%nExit status:%n",
        footer = {
            "  0  clean: nothing wrong was found",
            "  1  repaired: problems were found and repaired (check --repair)",
            "  4  errors left: problems were found and not repaired",
            "  8  usage or operational error (bad arguments, missing file, pool in use...)"})
public final class Ferrite {
    public static final int EXIT_CLEAN = 0;
    public static final int EXIT_REPAIRED = 1;
    public static final int EXIT_ERRORS_LEFT = 4;
    public static final int EXIT_USAGE = 8;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "On error, print the stack trace too.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line; returns the exit code (tests call this). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Ferrite top = new Ferrite();
        CommandLine cl = new CommandLine(top);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("ferrite: " + ex.getMessage());
            err.println("Try 'ferrite " + (ex.getCommandLine().getCommandName().equals("ferrite") ? ""
                    : ex.getCommandLine().getCommandName() + " ") + "--help'.");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            String msg = ex instanceof FerriteException ? ex.getMessage()
                    : ex.getClass().getSimpleName() + ": " + ex.getMessage();
            err.println("ferrite " + c.getCommandName() + ": " + msg);
            if (top.verbose) {
                ex.printStackTrace(err);
            } else if (!(ex instanceof FerriteException)) {
                err.println("(run with --verbose for the stack trace)");
            }
            return EXIT_USAGE;
        });
        return cl.execute(args);
    }

    /** Version from the jar manifest, or "dev". */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Ferrite.class.getPackage().getImplementationVersion();
            return new String[] {"ferrite " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
