package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapEntryAlreadyExistsException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.dirkms.agent.ca.CaRecords.TemplateEntry;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;

/** Certificate template entries ({@code kmsCertificateTemplate}) under {@code ou=Certificate Templates}. */
final class LdapTemplateEntries {
    private final LdapEntries entries;
    private final DirectoryLayout layout;

    LdapTemplateEntries(LdapEntries entries, DirectoryLayout layout) {
        this.entries = entries;
        this.layout = layout;
    }

    boolean addIfAbsent(String dn, Map<String, List<String>> attributes) {
        try {
            Entry entry = new DefaultEntry(dn);
            entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.CERTIFICATE_TEMPLATE);
            for (Map.Entry<String, List<String>> attribute : attributes.entrySet()) {
                entry.add(attribute.getKey(), attribute.getValue().toArray(new String[0]));
            }
            entries.add(entry);
            return true;
        } catch (LdapEntryAlreadyExistsException e) {
            // An administrator's edits of an existing template win over the defaults.
            return false;
        } catch (LdapException e) {
            throw LdapEntries.failure("add the certificate template", dn, e);
        }
    }

    List<TemplateEntry> list() {
        List<TemplateEntry> templates = new ArrayList<>();
        for (Entry entry : entries.search(layout.certificateTemplates(),
                "(" + OBJECT_CLASS + "=" + ObjectClassNames.CERTIFICATE_TEMPLATE + ")", SearchScope.ONELEVEL, "*")) {
            Map<String, List<String>> attributes = new LinkedHashMap<>();
            for (Attribute attribute : entry.getAttributes()) {
                if (attribute.getUpId().equalsIgnoreCase(OBJECT_CLASS)) {
                    continue;
                }
                List<String> values = new ArrayList<>();
                for (Value value : attribute) {
                    values.add(value.getString());
                }
                attributes.put(attribute.getUpId(), values);
            }
            templates.add(new TemplateEntry(entry.getDn().getName(), attributes));
        }
        return templates;
    }
}
