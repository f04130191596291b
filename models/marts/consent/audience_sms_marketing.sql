{{ consent_audience(purpose='marketing_sms', address_type='phone') }}
