package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.Test;

/**
 * {@code dirkms roles list --json}: one JSON array, per role an object with role, description,
 * group and members (README, "JSON output"), that a JSON parser reads back as it was listed.
 */
class RolesListJsonTest {

    @Test
    void everyRoleWithItsGroupAndMembersUnderStableNames() throws Exception {
        DirectoryLayout layout = new DirectoryLayout("dc=example,dc=com");
        Map<String, List<String>> members = new LinkedHashMap<>();
        members.put("kms-administrators", List.of("uid=alice,ou=People,dc=example,dc=com"));
        members.put("kms-agents", List.of("uid=kms-agent,ou=KMS,dc=example,dc=com"));
        members.put("recovery-agents", List.of());
        StringWriter text = new StringWriter();
        JsonOutput.print(new PrintWriter(text, true), RolesCommand.json(members, layout));
        JsonNode parsed = new ObjectMapper().readTree(text.toString());
        assertTrue(parsed.isArray());
        assertEquals(3, parsed.size());
        JsonNode administrators = parsed.get(0);
        List<String> fields = new ArrayList<>();
        administrators.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("role", "description", "group", "members"), fields);
        assertEquals("kms-administrators", administrators.get("role").asText());
        assertEquals(layout.kmsAdministratorsGroup(), administrators.get("group").asText());
        assertEquals("uid=alice,ou=People,dc=example,dc=com", administrators.get("members").get(0).asText());
        assertTrue(parsed.get(2).get("members").isArray() && parsed.get(2).get("members").isEmpty(),
                "a role nobody holds has an empty array");
        assertTrue(text.toString().endsWith("]\n") || text.toString().endsWith("]" + System.lineSeparator()),
                "one document, then a line end");
    }
}
