window.addEventListener('error',function(e){var d=document.documentElement;d.setAttribute('data-report-errors',(d.getAttribute('data-report-errors')||'')+(e.message||'error')+';');});
