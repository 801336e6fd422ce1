package org.dirkms.ds.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class RefusalMessagesTest {

    @Test
    void theGuardsOwnMessageIsFoundInsideApacheDsEcho() {
        RefusalMessages messages = new RefusalMessages();
        String own = messages.remember("kmsKeyPackage is a secret attribute: only KMS agents write it");
        String echoed = "INSUFFICIENT_ACCESS_RIGHTS: failed for MessageType : MODIFY_REQUEST ... kmsKeyPackage: "
                + "0x53 0x45 0x43 ...: " + own;
        assertEquals(own, messages.find(echoed));
        assertNull(messages.find("NO_SUCH_OBJECT: failed for MessageType : MODIFY_REQUEST"));
        assertNull(messages.find(null));
    }

    @Test
    void onlyTheNewestMessagesAreKept() {
        RefusalMessages messages = new RefusalMessages();
        messages.remember("the first refusal");
        for (int i = 0; i < RefusalMessages.CAPACITY; i++) {
            messages.remember("refusal number " + i + ";");
        }
        assertNull(messages.find("... the first refusal"));
        assertEquals("refusal number 7;", messages.find("x: refusal number 7;"));
    }
}
