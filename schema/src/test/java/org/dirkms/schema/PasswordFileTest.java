package org.dirkms.schema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasswordFileTest {

    @Test
    void aPasswordFileIsItsFirstLineWithoutItsLineEnd(@TempDir Path temporary) throws Exception {
        Path bare = Files.writeString(temporary.resolve("bare"), "s3cret");
        Path newline = Files.writeString(temporary.resolve("newline"), "s3cret\n");
        Path crlf = Files.writeString(temporary.resolve("crlf"), "s3cret\r\nsecond line\n");
        Path twoLines = Files.writeString(temporary.resolve("two-lines"), "s3cret\nsecond line\n");
        Path utf8 = Files.writeString(temporary.resolve("utf8"), "pässwort\n", StandardCharsets.UTF_8);
        for (Path file : new Path[] {bare, newline, crlf, twoLines}) {
            assertEquals("s3cret", PasswordFile.readString(file), file.toString());
            assertArrayEquals("s3cret".toCharArray(), PasswordFile.read(file), file.toString());
        }
        assertEquals("pässwort", PasswordFile.readString(utf8));
    }

    @Test
    void aFileWhoseFirstLineIsEmptyIsRefusedInOneLineNamingIt(@TempDir Path temporary) throws Exception {
        for (String content : new String[] {"", "\n", "\r\n", "\nsecret on the second line\n"}) {
            Path file = Files.writeString(temporary.resolve("empty"), content);
            EmptyPasswordFileException refused = assertThrows(EmptyPasswordFileException.class,
                    () -> PasswordFile.read(file), content);
            assertEquals("the first line of " + file + " is empty: write the password or passphrase on the file's"
                    + " first line", refused.getMessage());
            assertThrows(EmptyPasswordFileException.class, () -> PasswordFile.readString(file), content);
        }
    }
}
