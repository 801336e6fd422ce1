package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.message.ModifyDnRequestImpl;
import org.apache.directory.api.ldap.model.message.ModifyDnResponse;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A move (modify DN with a new superior, RFC 4511 section 4.9) under an entry that does not
 * exist is noSuchObject. Found by the fuzz suite: ApacheDS AM27 does not look for the new
 * superior and its partition fails on the missing parent with operationsError (1) and a
 * NullPointerException's message.
 */
class ModifyDnIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @Test
    void aMoveUnderAnEntryThatDoesNotExistIsNoSuchObject() throws Exception {
        String people = directory.layout().people();
        try (LdapConnection agent = directory.secureAgentConnection()) {
            agent.add(new DefaultEntry("cn=movable," + people, "objectClass: organizationalRole", "cn: movable"));
            ModifyDnResponse response = agent.modifyDn(new ModifyDnRequestImpl().setName(new Dn("cn=movable," + people))
                    .setNewRdn(new Rdn("cn=moved")).setDeleteOldRdn(true)
                    .setNewSuperior(new Dn("cn=nowhere," + people)));
            assertEquals(ResultCodeEnum.NO_SUCH_OBJECT, response.getLdapResult().getResultCode(),
                    response.getLdapResult().getDiagnosticMessage());
            String diagnostic = response.getLdapResult().getDiagnosticMessage();
            assertTrue(diagnostic.contains("cn=nowhere," + people), diagnostic);
            assertFalse(diagnostic.contains("null"), diagnostic);
            assertTrue(agent.exists("cn=movable," + people), "nothing moved");

            // An existing new superior still works.
            agent.add(new DefaultEntry("cn=parent," + people, "objectClass: organizationalRole", "cn: parent"));
            response = agent.modifyDn(new ModifyDnRequestImpl().setName(new Dn("cn=movable," + people))
                    .setNewRdn(new Rdn("cn=moved")).setDeleteOldRdn(true).setNewSuperior(new Dn("cn=parent," + people)));
            assertEquals(ResultCodeEnum.SUCCESS, response.getLdapResult().getResultCode(),
                    response.getLdapResult().getDiagnosticMessage());
            assertTrue(agent.exists("cn=moved,cn=parent," + people));
        }
    }
}
