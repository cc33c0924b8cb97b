package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/store.md quotes ExamplesTest and the layout diagrams; this keeps the quotes exact. */
class DocsInSyncTest {
    static final Path PAGE = Path.of("..", "docs", "store.md");
    static final Path SRC = Path.of("src", "test", "java", "io", "ferrite", "store");
    static final Path MAIN = Path.of("src", "main", "java", "io", "ferrite", "store");

    @Test
    void storePageQuotesTheExamples() throws Exception {
        String page = Files.readString(PAGE);
        String code = Files.readString(SRC.resolve("ExamplesTest.java"));
        for (String name : List.of("readme", "session-types", "session-use", "accounts-types", "accounts-use")) {
            String snippet = snippet(code, name);
            assertTrue(page.contains(snippet), "docs/store.md does not quote example '" + name + "' of ExamplesTest:\n" + snippet);
        }
        String readme = snippet(code, "readme");
        assertTrue(readme.lines().count() <= 15, "the README snippet has " + readme.lines().count() + " lines (at most 15)");
        assertTrue(page.contains("README snippet"), "the page marks the README snippet");
    }

    @Test
    void storePageQuotesTheLayoutDiagrams() throws Exception {
        String page = Files.readString(PAGE);
        for (String cls : List.of("EntryDescriptor", "StoreTypes")) {
            String src = Files.readString(MAIN.resolve(cls + ".java"));
            int a = src.indexOf('\n', src.indexOf("<pre>")) + 1;
            int b = src.indexOf("</pre>");
            StringBuilder diagram = new StringBuilder();
            for (String l : src.substring(a, b).split("\n")) {
                diagram.append(l.startsWith(" * ") ? l.substring(3) : l.replaceFirst("^[ *]+", "")).append('\n');
            }
            String d = diagram.toString().stripTrailing() + "\n";
            assertTrue(page.contains(d), "docs/store.md does not quote the diagram of " + cls + ":\n" + d);
        }
    }

    static String snippet(String code, String name) {
        int a = code.indexOf('\n', code.indexOf("// example:" + name + "\n")) + 1;
        int b = code.lastIndexOf('\n', code.indexOf("// end:" + name + "\n")) + 1;
        List<String> lines = List.of(code.substring(a, b).split("\n"));
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l.length() >= indent ? l.substring(indent) : l.strip()).append('\n');
        }
        return sb.toString().stripTrailing() + "\n";
    }
}
