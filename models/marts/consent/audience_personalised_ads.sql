{{ consent_audience(purpose='profiling', address_type='email') }}
