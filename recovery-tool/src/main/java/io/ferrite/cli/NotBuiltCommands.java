package io.ferrite.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The replication and power commands: they exist so that scripts and docs can name them, and say in
 * one line that they are not built yet (exit 8) until their issues land.
 */
final class NotBuiltCommands {
    private NotBuiltCommands() {
    }

    abstract static class NotBuilt implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "0..*", paramLabel = "ARGS", hidden = true)
        List<String> args;

        abstract String what();

        @Override
        public Integer call() {
            spec.commandLine().getErr().println("ferrite " + spec.name() + ": not built yet: " + what()
                    + " arrives with the replication issue");
            return Ferrite.EXIT_USAGE;
        }
    }

    @Command(name = "replica", mixinStandardHelpOptions = true,
            description = {"Run a replica of a primary's log (not built yet: replication has not landed)."},
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"8:not built yet"})
    static final class Replica extends NotBuilt {
        @Override
        String what() {
            return "serving a replica";
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = {"Promote a sealed replica to primary, raising the term (not built yet)."},
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"8:not built yet"})
    static final class Promote extends NotBuilt {
        @Override
        String what() {
            return "promotion and fencing";
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = {"Rebuild a pool at an LSN from a base copy and the archive (not built yet)."},
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"8:not built yet"})
    static final class Restore extends NotBuilt {
        @Override
        String what() {
            return "point-in-time restore from the archive";
        }
    }

    @Command(name = "power-event", mixinStandardHelpOptions = true,
            description = {"Signal a power event to a running primary: drain the log to replicas (not built yet)."},
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"8:not built yet"})
    static final class PowerEvent extends NotBuilt {
        @Override
        String what() {
            return "the power-event drain";
        }
    }
}
