{{ consent_audience(purpose='marketing_email', address_type='email') }}
