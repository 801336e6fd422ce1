package org.dirkms.schema;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the three server forms of {@link KmsSchema} ({@link SchemaForms}) as files, so that
 * administrators can load them without building the project.
 *
 * <p>Run from the repository root after changing {@link KmsSchema}, and commit the result:
 * <pre>
 * mvn -o -q -pl schema compile
 * java -cp schema/target/classes org.dirkms.schema.SchemaFormsWriter ldif/schema
 * </pre>
 * A unit test fails while the committed files differ from what {@link SchemaForms} renders.
 */
public final class SchemaFormsWriter {

    /** Where the forms are committed, relative to the repository root. */
    public static final String DEFAULT_DIRECTORY = "ldif/schema";

    private SchemaFormsWriter() {
    }

    /**
     * The content of every form, keyed by its file name ({@link SchemaForms#APACHEDS_FILE},
     * {@link SchemaForms#RFC4512_FILE}, {@link SchemaForms#OPENLDAP_FILE}), in that order.
     */
    public static Map<String, String> render() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(SchemaForms.APACHEDS_FILE, SchemaForms.apacheDsMetaSchema(""));
        files.put(SchemaForms.RFC4512_FILE, SchemaForms.rfc4512Modify());
        files.put(SchemaForms.OPENLDAP_FILE, SchemaForms.openLdapConfig());
        return files;
    }

    /**
     * Writes every form of {@link #render()} into {@code directory} as UTF-8, creating the
     * directory if needed and replacing files of the same names.
     *
     * @return the files written
     * @throws IOException if a file cannot be written
     */
    public static Map<String, Path> write(Path directory) throws IOException {
        Files.createDirectories(directory);
        Map<String, Path> written = new LinkedHashMap<>();
        for (Map.Entry<String, String> form : render().entrySet()) {
            Path file = directory.resolve(form.getKey());
            Files.writeString(file, form.getValue(), StandardCharsets.UTF_8);
            written.put(form.getKey(), file);
        }
        return written;
    }

    /**
     * Writes the forms into the directory named by the first argument, or
     * {@value #DEFAULT_DIRECTORY} (relative to the working directory) without one.
     *
     * @param args optional target directory
     * @throws IOException if a file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path directory = Path.of(args.length > 0 ? args[0] : DEFAULT_DIRECTORY);
        for (Path file : write(directory).values()) {
            System.out.println("wrote " + file);
        }
    }
}
