package io.ferrite.cli;

import io.ferrite.ConfigurationException;
import io.ferrite.FerriteException;
import io.ferrite.pheap.HeapLockedException;
import io.ferrite.pheap.PoolCorruptedException;
import io.ferrite.pheap.PoolFormatException;
import io.ferrite.pheap.RedoRecordException;
import io.ferrite.media.MediaException;
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
        subcommands = {InfoCommand.class, CheckCommand.class, RecoverCommand.class, GrowCommand.class, DumpCommand.class, LogCommand.class,
            DemoCommand.class, NotBuiltCommands.Replica.class, NotBuiltCommands.Promote.class, NotBuiltCommands.Restore.class,
            NotBuiltCommands.PowerEvent.class, CommandLine.HelpCommand.class},
        description = {
            "Inspect, check and recover Ferrite persistent-memory pools and logs.",
            "",
            "Ferrite keeps a slab-based object heap and a group-committed redo log in a file mapped",
            "from persistent memory (DAX with MAP_SYNC) or from tmpfs, which emulates it. This command is",
            "what an operator runs after a crash: info and dump read a pool without changing a byte, check",
            "verifies it (and repairs only with --repair, saying each repair), recover replays its log.",
            "Every error is one line that names the file and says what to run; --verbose adds the stack",
            "trace. See docs/operations.md for a walk through a crash, a check and a repair."},
        commandListHeading = "%nCommands:%n",
        footerHeading = "%nExit status (like fsck):%n",
        footer = {
            "  0  clean: nothing wrong was found",
            "  1  repaired: problems were found and repaired (check --repair, recover)",
            "  4  errors left: problems were found and not repaired (or the pool needs recovery)",
            "  8  usage or operational error (bad arguments, missing file, not a pool, pool in use...)",
            "",
            "Examples:",
            "  ferrite demo",
            "  ferrite info /dev/shm/orders.pool",
            "  ferrite check /dev/shm/orders.pool || ferrite check --repair /dev/shm/orders.pool",
            "  ferrite help check"})
public final class Ferrite {
    public static final int EXIT_CLEAN = 0;
    public static final int EXIT_REPAIRED = 1;
    public static final int EXIT_ERRORS_LEFT = 4;
    public static final int EXIT_USAGE = 8;
    /** Columns the help texts are laid out for. */
    static final int HELP_WIDTH = 100;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "On error, print the stack trace too.")
    boolean verbose;

    /** Held so that the level set in {@link #main} stays (loggers are weakly referenced). */
    private static final java.util.logging.Logger FERRITE_LOG = java.util.logging.Logger.getLogger("io.ferrite");

    public static void main(String[] args) {
        // The library logs each mapping at INFO; for an operator reading this command's output that
        // is noise unless asked for.
        if (!java.util.Arrays.asList(args).contains("--verbose")) {
            FERRITE_LOG.setLevel(java.util.logging.Level.WARNING);
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line; returns the exit code (tests call this). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return runCommand(new Ferrite(), args, out, err);
    }

    /**
     * Runs one command object (the top command, or a single subcommand such as a
     * {@code CheckCommand}, which tests use to skip building the whole command tree) with the
     * tool's error handling; returns the exit code.
     */
    static int runCommand(Object command, String[] args, PrintWriter out, PrintWriter err) {
        Ferrite top = command instanceof Ferrite f ? f : null;
        CommandLine cl = new CommandLine(command);
        // The manuals are written for 100 columns; a fixed width keeps them the same on every terminal.
        cl.setUsageHelpAutoWidth(false);
        cl.setUsageHelpWidth(HELP_WIDTH);
        manPageHeadings(cl);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("ferrite: " + ex.getMessage());
            err.println("Try 'ferrite " + (ex.getCommandLine().getCommandName().equals("ferrite") ? ""
                    : ex.getCommandLine().getCommandName() + " ") + "--help'.");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> report(ex, c.getCommandName(), top, err));
        int code;
        try {
            code = cl.execute(args);
        } catch (Throwable t) {
            // picocli hands only Exceptions to the handler; an Error (OutOfMemoryError from a size a
            // damaged pool made up, StackOverflowError) would leave with a stack trace and the JVM's
            // exit 1, which reads as "repaired". Same one line as any other internal error.
            String name = cl.getParseResult() == null ? cl.getCommandName() : last(cl.getParseResult()).commandSpec().name();
            code = report(t, name, top, err);
        }
        out.flush();
        err.flush();
        return code;
    }

    private static CommandLine.ParseResult last(CommandLine.ParseResult r) {
        return r.hasSubcommand() ? last(r.subcommand()) : r;
    }

    /** One line on {@code err} for what ended a command (the trace too with --verbose); returns the exit code. */
    private static int report(Throwable ex, String command, Ferrite top, PrintWriter err) {
        boolean verbose = top != null && top.verbose;
        String msg = ex instanceof FerriteException ? ex.getMessage()
                : "internal error: " + ex.getClass().getSimpleName() + ": " + ex.getMessage()
                + (verbose ? "" : " (run with --verbose for the stack trace)");
        // Messages quote names and bytes from the pool: never let them drive the terminal.
        err.println("ferrite " + command + ": " + Json.printable(msg));
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return exitCodeOf(ex);
    }

    /** Section headings like a manual page's, on every command. */
    private static void manPageHeadings(CommandLine cl) {
        CommandLine.Model.UsageMessageSpec u = cl.getCommandSpec().usageMessage();
        u.descriptionHeading("%nDescription:%n");
        u.parameterListHeading("%nArguments:%n");
        u.optionListHeading("%nOptions:%n");
        for (CommandLine sub : cl.getSubcommands().values()) {
            manPageHeadings(sub);
        }
    }

    /**
     * The exit code an exception ends a command with, from its type alone (never its message):
     * the pool is damaged, or its log holds a record that cannot be applied, or the library
     * reported another fault in the pool: 4; the pool is not a pool of this format, is in use,
     * cannot be mapped, or an option is wrong, so the command did not look at it: 8; an Error or an
     * unexpected exception: 8. The order matters: {@link PoolCorruptedException} is a
     * {@link PoolFormatException}, and every Ferrite exception is a {@link FerriteException}.
     */
    static int exitCodeOf(Throwable ex) {
        if (ex instanceof ToolException t) {
            return t.exitCode();
        }
        if (ex instanceof PoolCorruptedException || ex instanceof RedoRecordException) {
            return EXIT_ERRORS_LEFT;
        }
        if (ex instanceof PoolFormatException || ex instanceof HeapLockedException || ex instanceof MediaException
                || ex instanceof ConfigurationException) {
            return EXIT_USAGE;
        }
        if (ex instanceof FerriteException) {
            return EXIT_ERRORS_LEFT;
        }
        return EXIT_USAGE;
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
