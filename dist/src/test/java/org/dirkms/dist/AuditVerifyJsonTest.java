package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.dirkms.schema.audit.AuditHead;
import org.dirkms.schema.audit.AuditRecord;
import org.dirkms.schema.audit.AuditVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dirkms audit verify --json}: one JSON object with every field in a fixed order (README,
 * "JSON output"), saying what the text output says: valid or where it broke, the head, the set
 * aside logs, the uses of the superuser; a missing log is a document too, with exit code 1.
 */
class AuditVerifyJsonTest {

    private static final List<String> FIELDS = List.of("valid", "anchored", "anchorSequence", "anchorHash",
            "anchorSource", "records", "headSequence", "headHash", "badSequence", "problem", "setAside",
            "chainRestartedAt", "superuserRecords", "lastSuperuserRecord");

    @TempDir
    Path folder;

    private static List<String> fields(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aValidReportWithTheSuperusersLastChange() throws Exception {
        ObjectNode document = AuditCommand.document();
        AuditRecord last = new AuditRecord(7, Instant.parse("2026-12-01T10:00:00Z"), "uid=admin,ou=system", "modify",
                "uid=jdoe,ou=People,dc=example,dc=com", List.of("mail"), "00", "11");
        AuditVerifier.Report report = new AuditVerifier.Report(true, 9, new AuditHead(9, "abcd"), -1, "", 1, last);
        AuditCommand.json(document, report, List.of(folder.resolve("audit.log.broken-x")), Optional.empty());
        JsonNode parsed = new ObjectMapper().readTree(document.toString());
        assertEquals(FIELDS, fields(parsed));
        assertTrue(parsed.get("valid").asBoolean());
        assertEquals(9, parsed.get("records").asLong());
        assertEquals("abcd", parsed.get("headHash").asText());
        assertTrue(parsed.get("badSequence").isNull() && parsed.get("problem").isNull());
        assertEquals(folder.resolve("audit.log.broken-x").toString(), parsed.get("setAside").get(0).asText());
        assertEquals(1, parsed.get("superuserRecords").asLong());
        assertEquals("modify", parsed.get("lastSuperuserRecord").get("operation").asText());
        assertEquals("2026-12-01T10:00:00Z", parsed.get("lastSuperuserRecord").get("time").asText());
    }

    @Test
    void aMissingLogIsOneDocumentThatSaysSoWithExitCode1() throws Exception {
        Path audit = Files.createDirectories(folder.resolve("audit"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = AuditCommand.verifyAndReport("dirkms audit", audit, Optional.empty(), new PrintWriter(out, true),
                new PrintWriter(err, true), AuditCommand.document());
        assertEquals(ExitCode.FAILED.code(), code, err.toString());
        JsonNode parsed = new ObjectMapper().readTree(out.toString());
        assertEquals(FIELDS, fields(parsed));
        assertFalse(parsed.get("valid").asBoolean());
        assertFalse(parsed.get("problem").asText().isEmpty(), "says what is wrong: " + parsed);
        assertEquals(1, err.toString().lines().count(), "and one line on standard error: " + err);
    }
}
