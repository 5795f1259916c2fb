-- The policies' keys and values (policystore.Backend): the signed
-- documents, the policy in force and a change on its way to the ledger,
-- shared by every instance.
CREATE TABLE ebios_policies (
    key   text PRIMARY KEY,
    value text NOT NULL
);
