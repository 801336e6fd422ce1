package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@code dirkms enroll --file} reads the DNs of an LDIF file. Found by the fuzz suite
 * (ServerFuzzIT's LDIF target, which parses records with the same LDAP API reader): the reader
 * throws IllegalArgumentException for bad base64 and StringIndexOutOfBoundsException or
 * ArrayIndexOutOfBoundsException for other malformed lines, and its iterator, which the command
 * used, stops quietly at a record it cannot parse — so a file with one bad record enrolled the
 * users before it, silently skipped the rest, or ended the command with a stack trace. A file
 * that is not LDIF throughout is now a usage error naming the file, and nobody is enrolled.
 */
class EnrollCommandLdifTest {

    @TempDir
    Path work;

    private Path file(String ldif) throws Exception {
        return Files.writeString(work.resolve("users.ldif"), ldif);
    }

    @Test
    void theDnsOfEveryRecordAreRead() throws Exception {
        assertEquals(List.of("uid=a,ou=People,dc=example,dc=com", "uid=b,ou=People,dc=example,dc=com"),
                EnrollCommand.dnsOf(file("dn: uid=a,ou=People,dc=example,dc=com\nchangetype: modify\n"
                        + "replace: description\ndescription: x\n-\n\ndn: uid=b,ou=People,dc=example,dc=com\n"
                        + "changetype: modify\nreplace: description\ndescription: y\n-\n")));
        assertEquals(List.of("uid=c,ou=People,dc=example,dc=com"), EnrollCommand.dnsOf(file(
                "dn: uid=c,ou=People,dc=example,dc=com\nobjectClass: person\ncn: c\nsn: c\n")));
    }

    @Test
    void aFileWithABadRecordIsAUsageErrorNotAPartialList() throws Exception {
        for (String bad : List.of(
                // bad base64 in the second record: the iterator stopped there without a word
                "dn: uid=a,ou=People,dc=example,dc=com\ncn: a\n\ndn: uid=b,ou=People,dc=example,dc=com\ncn:: !!x\n",
                "dn:: not base64 at all\ncn: a\n",
                // the reader's own index errors on malformed lines
                "version: 1\n\u00a0dn: uid=a,dc=com\n-\n", "dn: uid=a,dc=com\n\ufffd: x\n")) {
            UsageException e = assertThrows(UsageException.class, () -> EnrollCommand.dnsOf(file(bad)), bad);
            assertTrue(e.getMessage().contains("is not LDIF"), e.getMessage());
        }
    }
}
