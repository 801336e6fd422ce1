package org.dirkms.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forms committed under {@code ldif/schema/} are exactly what {@link SchemaForms} renders
 * now, so an administrator who loads a committed file gets the schema the code expects.
 */
class CommittedFormsTest {

    private static final String REGENERATE = "regenerate from the repository root with: "
            + "mvn -o -q -pl schema compile && "
            + "java -cp schema/target/classes org.dirkms.schema.SchemaFormsWriter ldif/schema";

    /** Surefire runs in the module directory and sets {@code basedir}; the forms sit beside it. */
    private static Path committedDirectory() {
        Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        return module.getParent().resolve(SchemaFormsWriter.DEFAULT_DIRECTORY);
    }

    @Test
    void committedFormsEqualTheRendering() throws IOException {
        Path directory = committedDirectory();
        for (Map.Entry<String, String> form : SchemaFormsWriter.render().entrySet()) {
            Path file = directory.resolve(form.getKey());
            assertTrue(Files.isRegularFile(file), file + " is missing; " + REGENERATE);
            assertEquals(form.getValue(), Files.readString(file, StandardCharsets.UTF_8),
                    file + " differs from what SchemaForms renders; " + REGENERATE);
        }
    }

    @Test
    void readmeNamesEveryForm() throws IOException {
        Path readme = committedDirectory().resolve("README.md");
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        for (String file : SchemaFormsWriter.render().keySet()) {
            assertTrue(text.contains(file), readme + " does not say how to load " + file);
        }
    }

    @Test
    void writerWritesExactlyTheRenderedForms(@TempDir Path directory) throws IOException {
        Map<String, Path> written = SchemaFormsWriter.write(directory.resolve("nested"));
        assertEquals(SchemaFormsWriter.render().keySet(), written.keySet());
        for (Map.Entry<String, String> form : SchemaFormsWriter.render().entrySet()) {
            assertEquals(form.getValue(), Files.readString(written.get(form.getKey()), StandardCharsets.UTF_8));
        }
    }
}
