"""Demo credentials and fixed identities the emulators accept. None of these is a secret: they
only open the local emulators, never a real provider. The values match the Makefile's demo
environment (``make run``)."""

from __future__ import annotations

# Dropbox app (App Console key/secret) and the emulated account.
DROPBOX_APP_KEY = "well-demo-app"
DROPBOX_APP_SECRET = "well-demo-secret"
DROPBOX_ACCOUNT_ID = "dbid:AADwellSandboxAccount000000000000000"
DROPBOX_UID = "4242424242"
DROPBOX_ACCOUNT_EMAIL = "camille.martin@well-demo.test"
DROPBOX_ROOT_NAMESPACE_ID = "3235641"
DROPBOX_SCOPES = (
    "account_info.read",
    "files.metadata.read",
    "files.content.read",
    "files.metadata.write",
    "files.content.write",
    "sharing.read",
    "openid",
    "profile",
    "email",
)

# Apideck Unify application.
APIDECK_API_KEY = "well-demo-apideck-key"
APIDECK_APP_ID = "well-demo-app"
APIDECK_CONSUMER_ID = "well-demo-workspace"

# Qonto OAuth client, API key and sandbox staging token.
QONTO_CLIENT_ID = "well-demo-client"
QONTO_CLIENT_SECRET = "well-demo-secret"
QONTO_STAGING_TOKEN = "well-sandbox-staging-token"
QONTO_API_LOGIN = "well-demo-sas-4821"
QONTO_API_SECRET_KEY = "well-sandbox-qonto-api-secret-key"
QONTO_ORGANIZATION_ID = "3a1d2f3c-6b0e-4a0e-9c47-2f1f6c5b9a01"
QONTO_MEMBERSHIP_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
QONTO_MAIN_BANK_ACCOUNT_ID = "018f3c2a-9b1e-7c4d-8e2f-5a6b7c8d9e01"
QONTO_MAIN_IBAN = "FR7616958000010001234567834"
QONTO_SECOND_BANK_ACCOUNT_ID = "018f3c2a-9b1e-7c4d-8e2f-5a6b7c8d9e02"
QONTO_SECOND_IBAN = "FR7616958000010008765432106"
QONTO_BIC = "QNTOFRP1XXX"
QONTO_SCOPES = (
    "offline_access",
    "openid",
    "organization.read",
    "supplier_invoice.read",
    "supplier_invoice.write",
    "attachment.read",
    "attachment.write",
    "client_invoices.read",
    "client_invoice.write",
    "payment_link.read",
    "webhook",
)

# Default ports of `manage.py sandbox`: the base port and the next two.
DEFAULT_PORT = 8700
